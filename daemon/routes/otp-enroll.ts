import type { OtpEnrollRequest, OtpEnrollResponse } from '../../shared/api.js';
import { AuthctlError } from '../../shared/errors.js';
import type { RouteContext } from './context.js';
import { otpService, otpMethod } from './otp-service.js';
import { validateBody } from './validate.js';

/** POST /v1/otp/enroll: start (settings, and an OTP if a method exists), then confirm with a first code. */
export function otpEnroll({ body, broker, peer }: RouteContext): Promise<OtpEnrollResponse> {
  const req = validateBody<OtpEnrollRequest>(body, {
    method: 'string',
    otp: 'otp',
    enrollmentId: 'string',
    code: 'string',
    aesKey: 'string',
    publicId: 'string',
    privateUid: 'string',
    clientId: 'string',
    apiKey: 'string',
    urls: 'string[]',
  });
  req.method = otpMethod(req.method, true)!;
  const enrollment = otpService(broker).enrollment;
  if (req.enrollmentId === undefined) return enrollment.start(req, peer);
  if (req.code === undefined) throw new AuthctlError('bad_request', '"code" is needed to confirm an enrolment');
  return enrollment.confirm(req, peer);
}
