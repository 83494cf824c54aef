/** The agent API: one table from method + path to handler (each in daemon/routes/). */
import type { RouteHandler } from './routes/context.js';
import { diagnostics } from './routes/diagnostics.js';
import { invalidate } from './routes/invalidate.js';
import { login } from './routes/login.js';
import { logout } from './routes/logout.js';
import { otpEnroll } from './routes/otp-enroll.js';
import { otpRemove } from './routes/otp-remove.js';
import { otpStatus } from './routes/otp-status.js';
import { status } from './routes/status.js';
import { token } from './routes/token.js';

export const ROUTES: Record<string, RouteHandler> = {
  'GET /v1/status': status,
  'GET /v1/diagnostics': diagnostics,
  'POST /v1/token': token,
  'POST /v1/login': login,
  'POST /v1/logout': logout,
  'POST /v1/invalidate': invalidate,
  'POST /v1/otp/enroll': otpEnroll,
  'GET /v1/otp/status': otpStatus,
  'POST /v1/otp/remove': otpRemove,
};
