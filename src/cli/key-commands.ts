import type { CommandDef } from "./command-table.js";

/** `--workspace` of the commands that manage a workspace's keys and secrets. */
export const keyWorkspace = {
  type: "string",
  value: "WS",
  help: "the workspace (default: the config's)",
} as const;

/** API keys for `cairn serve`: shown once, stored hashed, scoped to a workspace. */
export const KEY_COMMANDS: CommandDef[] = [
  {
    name: "keys create",
    args: "NAME",
    summary: "create an API key for cairn serve (printed once; only its hash is stored)",
    details: `Scopes: read (look), run (start, cancel, send), approve (decide approvals), admin (all, and
keys). A key sees only its workspace's runs, approvals and sessions.`,
    flags: {
      scopes: {
        type: "string",
        value: "LIST",
        help: "comma-separated: read, run, approve, admin (required)",
      },
      principal: {
        type: "string",
        value: "WHO",
        help: "who the key acts as: decisions are recorded as, and approvers matched against, it (default NAME)",
      },
      workspace: keyWorkspace,
    },
    load: () => import("./commands/keys.js").then((m) => m.createKeyCommand),
  },
  {
    name: "keys ls",
    aliases: ["keys list"],
    summary: "list API keys (never the keys themselves)",
    flags: { workspace: keyWorkspace },
    load: () => import("./commands/keys.js").then((m) => m.listKeysCommand),
  },
  {
    name: "keys revoke",
    args: "ID",
    summary: "revoke an API key: requests with it get 401 from then on",
    flags: { workspace: keyWorkspace },
    load: () => import("./commands/keys.js").then((m) => m.revokeKeyCommand),
  },
];
