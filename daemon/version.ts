/** The agent's version; kept in a constant so the token path never reads package.json. */
export const VERSION = '0.1.0';
