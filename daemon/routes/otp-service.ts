/** What the OTP routes share: the agent's OTP service and the method names they accept. */
import type { OtpMethodName } from '../../shared/api.js';
import { AuthctlError } from '../../shared/errors.js';
import type { TokenBroker } from '../broker/token-broker.js';
import type { OtpService } from '../otp/otp-service.js';

export function otpService(broker: TokenBroker): OtpService {
  if (!broker.otp) throw new AuthctlError('internal', 'this agent was started without one-time password support');
  return broker.otp;
}

export function otpMethod(value: string | undefined, required: boolean): OtpMethodName | undefined {
  if (value === undefined && !required) return undefined;
  if (value === 'totp' || value === 'yubikey') return value;
  throw new AuthctlError('bad_request', '"method" must be "totp" or "yubikey"');
}
