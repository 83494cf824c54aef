/** `authctl otp`'s entries in the command table (client/command-table.ts). */
import { JSON_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const OTP_ENROLL_SPEC = {
  name: 'otp enroll',
  summary: 'Enrol a second factor the agent asks for before privileged tokens',
  usage: ['otp enroll --totp', 'otp enroll --yubikey (--aes-key HEX --public-id MODHEX [--private-uid HEX] | --client-id ID --api-key KEY [--url URL]...)'],
  flags: [
    { name: 'totp', type: 'boolean', description: 'an authenticator app (shows a QR code)' },
    { name: 'yubikey', type: 'boolean', description: 'a YubiKey OTP' },
    { name: 'aes-key', type: 'string', value: 'HEX', description: 'the YubiKey\'s AES key (offline checking)', example: 'HEX' },
    { name: 'public-id', type: 'string', value: 'MODHEX', description: 'the YubiKey\'s public id (offline checking)', example: 'cccccccccccb' },
    { name: 'private-uid', type: 'string', value: 'HEX', description: 'the YubiKey\'s private id (offline checking)', example: 'HEX' },
    { name: 'client-id', type: 'string', value: 'ID', description: 'the YubiCloud client id', example: '12345' },
    { name: 'api-key', type: 'string', value: 'KEY', description: 'the YubiCloud API key', example: 'KEY' },
    { name: 'url', type: 'string', value: 'URL', repeatable: true, check: 'url', description: 'a YubiCloud validation server', example: 'https://api.yubico.com/wsapi/2.0/verify' },
  ],
  details: 'The first method must be enrolled on a terminal; enrolling another asks for an OTP from an enrolled one.',
  examples: [
    { command: 'authctl otp enroll --totp', description: 'scan the QR code with an authenticator app' },
    { command: 'authctl otp enroll --yubikey --client-id 12345 --api-key KEY', description: 'a YubiKey checked with YubiCloud' },
  ],
  exits: [0, 2, 4, 6, 7],
  related: ['otp status', 'otp remove'],
  group: 'Other',
} as const satisfies CommandSpec;

export const OTP_STATUS_SPEC = {
  name: 'otp status',
  summary: 'Show the enrolled OTP methods',
  usage: ['otp status [--json]'],
  flags: [JSON_FLAG],
  examples: [{ command: 'authctl otp status', description: 'which methods are enrolled' }],
  exits: [0, 2, 6],
  related: ['otp enroll'],
  group: 'Other',
} as const satisfies CommandSpec;

export const OTP_REMOVE_SPEC = {
  name: 'otp remove',
  summary: 'Remove one OTP method, or every one',
  usage: ['otp remove [--totp | --yubikey]'],
  flags: [
    { name: 'totp', type: 'boolean', description: 'remove the authenticator app' },
    { name: 'yubikey', type: 'boolean', description: 'remove the YubiKey' },
  ],
  examples: [{ command: 'authctl otp remove --totp', description: 'remove the authenticator app (asks for an OTP)' }],
  exits: [0, 2, 4, 6],
  related: ['otp status'],
  group: 'Other',
} as const satisfies CommandSpec;

export const OTP_SPEC = {
  name: 'otp',
  summary: 'Enrol, check or remove the second factor',
  usage: [...OTP_ENROLL_SPEC.usage, ...OTP_STATUS_SPEC.usage, ...OTP_REMOVE_SPEC.usage],
  flags: [],
  examples: [
    { command: 'authctl otp enroll --totp', description: 'enrol an authenticator app' },
    { command: 'authctl otp status', description: 'what is enrolled' },
  ],
  exits: [0, 2, 4, 6],
  related: ['login'],
  group: 'Other',
  subcommands: [OTP_ENROLL_SPEC, OTP_STATUS_SPEC, OTP_REMOVE_SPEC],
} as const satisfies CommandSpec;
