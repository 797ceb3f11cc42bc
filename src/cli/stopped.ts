/**
 * The person stopped the command (Ctrl-C, or Ctrl-D at a prompt): not a failure of Cairn's. Main
 * prints the message, which says what to do next, as one line, and exits with `exitCode`.
 */
export class Stopped extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = "Stopped";
  }
}
