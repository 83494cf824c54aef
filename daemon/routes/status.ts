import type { StatusResponse } from '../../shared/api.js';
import type { RouteContext } from './context.js';

/** GET /v1/status: who the agent is and each profile's state; never a secret. */
export async function status({ broker, agent, forwarded }: RouteContext): Promise<StatusResponse> {
  let profiles: StatusResponse['profiles'] = [];
  const configErrors: string[] = [];
  let defaultProfile: string | undefined;
  let brokenProfiles: StatusResponse['brokenProfiles'] = [];
  try {
    brokenProfiles = broker.brokenProfiles();
    const names = broker.allProfileNames();
    profiles = await Promise.all(names.map((n) => broker.profileStatus(broker.profile(n))));
    try {
      defaultProfile = broker.profile().name;
    } catch {
      defaultProfile = undefined;
    }
  } catch (e) {
    configErrors.push((e as Error).message);
  }
  return {
    version: agent.version,
    pid: process.pid,
    uptimeSeconds: Math.floor((Date.now() - agent.startedAt) / 1000),
    socket: agent.socket,
    storage: agent.storage,
    peerCheck: agent.peerCheck,
    ...(agent.peerCheckProblem ? { peerCheckProblem: agent.peerCheckProblem } : {}),
    ...(agent.network ? { network: agent.network } : {}),
    ...(agent.forwardingSocket && !forwarded ? { forwardingSocket: agent.forwardingSocket } : {}),
    ...(forwarded ? { forwarded: { destination: forwarded.destination } } : {}),
    ...(agent.log ? { log: agent.log } : {}),
    defaultProfile,
    profiles,
    ...(configErrors.length ? { configErrors } : {}),
    ...(brokenProfiles.length ? { brokenProfiles } : {}),
  };
}
