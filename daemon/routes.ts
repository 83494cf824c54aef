/** The agent API: one table from method + path to handler (each in daemon/routes/). */
import type { RouteHandler } from './routes/context.js';
import { invalidate } from './routes/invalidate.js';
import { login } from './routes/login.js';
import { logout } from './routes/logout.js';
import { status } from './routes/status.js';
import { token } from './routes/token.js';

export const ROUTES: Record<string, RouteHandler> = {
  'GET /v1/status': status,
  'POST /v1/token': token,
  'POST /v1/login': login,
  'POST /v1/logout': logout,
  'POST /v1/invalidate': invalidate,
};
