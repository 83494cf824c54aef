import type { OtpStatusResponse } from '../../shared/api.js';
import type { RouteContext } from './context.js';
import { otpService } from './otp-service.js';

/** GET /v1/otp/status: enrolled methods, storage and lockout; never a secret. */
export function otpStatus({ broker }: RouteContext): Promise<OtpStatusResponse> {
  return otpService(broker).enrollment.status();
}
