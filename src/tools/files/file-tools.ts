import type { Tool } from "../../agent/tool.js";
import type { RunWorkspaces } from "../workspace/run-workspaces.js";
import type { FileToolOptions } from "./file-tool-kit.js";
import { fileToolKit } from "./file-tool-kit.js";
import { listFilesTool, searchFilesTool } from "./list-search-tools.js";
import { editFileTool, readFileTool, writeFileTool } from "./read-write-tools.js";

/** The names the file tools go by (as a profile names them). */
export const FILE_TOOL_NAMES = [
  "read_file",
  "write_file",
  "edit_file",
  "list_files",
  "search_files",
] as const;
export type FileToolName = (typeof FILE_TOOL_NAMES)[number];

/**
 * The workspace file tools, confined to the run's workspace: read_file, write_file, edit_file,
 * list_files and search_files. Writes are checkpointed with their step.
 *
 * @example
 * agent({ …, tools: { ...fileTools(workspaces) } });
 */
export function fileTools(
  workspaces: RunWorkspaces,
  options: FileToolOptions = {},
): Record<FileToolName, Tool> {
  const kit = fileToolKit(workspaces, options);
  return {
    read_file: readFileTool(kit),
    write_file: writeFileTool(kit),
    edit_file: editFileTool(kit),
    list_files: listFilesTool(kit),
    search_files: searchFilesTool(kit),
  };
}
