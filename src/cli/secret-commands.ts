import type { CommandDef } from "./command-table.js";
import { keyWorkspace } from "./key-commands.js";

const secretUser = {
  type: "string",
  value: "U",
  help: "the end user it belongs to (default: the whole workspace)",
} as const;

/** The vault's commands: values go in by stdin or a hidden prompt and never come out. */
export const SECRET_COMMANDS: CommandDef[] = [
  {
    name: "secrets set",
    args: "NAME",
    summary: "store a secret in the vault (the value from stdin or a hidden prompt, never a flag)",
    details: `Sealed with AES-256-GCM under a data key of its own, wrapped by the master key: $CAIRN_MASTER_KEY,
or the key file .cairn/master.key ($CAIRN_MASTER_KEY_FILE), created with mode 0600 on first use.
Tools get it through the credential proxy, never the model. Example: printf %s "$TOKEN" | cairn secrets set github --user ada`,
    flags: { user: secretUser, workspace: keyWorkspace },
    load: () => import("./commands/secrets.js").then((m) => m.setSecretCommand),
  },
  {
    name: "secrets ls",
    aliases: ["secrets list"],
    summary: "list the vault's secrets: names, users, dates (never a value)",
    flags: { user: { ...secretUser, help: "only this user's secrets" }, workspace: keyWorkspace },
    load: () => import("./commands/secrets.js").then((m) => m.listSecretsCommand),
  },
  {
    name: "secrets rm",
    args: "NAME",
    summary: "remove a secret from the vault",
    flags: { user: secretUser, workspace: keyWorkspace },
    load: () => import("./commands/secrets.js").then((m) => m.removeSecretCommand),
  },
  {
    name: "secrets rotate-key",
    summary: "re-wrap every secret's data key under a new master key, in one transaction",
    details: `With the key file, a new key replaces it. With $CAIRN_MASTER_KEY, the new key (32 bytes, hex or
base64) is read from stdin or a hidden prompt; give it to every process afterwards.`,
    flags: {},
    load: () => import("./commands/secrets.js").then((m) => m.rotateKeyCommand),
  },
  {
    name: "connect",
    args: "PROVIDER",
    summary: "connect an OAuth provider for a user: authorization code with PKCE on a loopback redirect",
    details: `Providers are declared in the config's oauth. Prints the provider's authorization URL to open in a
browser, receives the redirect on 127.0.0.1, exchanges the code (with the PKCE verifier) and seals the tokens
in the vault for --user. Runs acting for that user then get fresh access tokens through the proxy.`,
    flags: {
      user: { ...secretUser, help: "the end user the tokens belong to (required)" },
      port: {
        type: "int",
        value: "N",
        min: 0,
        max: 65535,
        help: "the loopback port for the redirect (default: the provider's redirectPort, or any free port)",
      },
      workspace: keyWorkspace,
    },
    load: () => import("./commands/connect.js").then((m) => m.connectCommand),
  },
];
