import type { OtpRemoveRequest, OtpRemoveResponse } from '../../shared/api.js';
import type { RouteContext } from './context.js';
import { otpMethod, otpService } from './otp-service.js';
import { validateBody } from './validate.js';

/** POST /v1/otp/remove: `{ method? , otp? }`; removal itself needs a right OTP. */
export function otpRemove({ body, broker, peer }: RouteContext): Promise<OtpRemoveResponse> {
  const req = validateBody<OtpRemoveRequest>(body, { method: 'string', otp: 'otp' });
  return otpService(broker).enrollment.remove({ ...req, method: otpMethod(req.method, false) }, peer);
}
