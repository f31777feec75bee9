/**
 * How the server and the emulator end when PowerShell drives them.
 *
 * Both are children of a PowerShell process and live as long as their stdin is open: the module
 * closes it (Remove-Module, Stop-AzTokenBridgeEmulator, engine exit), or the OS does when PowerShell
 * exits. Ctrl+C must not end them: a terminal sends SIGINT to its whole foreground process group,
 * and on Windows every process attached to the console gets the Ctrl+C event, so they receive the
 * same interrupt as PowerShell. PowerShell answers it by stopping the running command, whose
 * requests the module cancels ($/cancelRequest); the server and the emulator stay up and the next
 * call is warm.
 *
 * When stdin is a terminal (someone ran `aztokenbridge emulator` by hand), Ctrl+C is theirs: it
 * ends the process as usual.
 */
export function attachedToParent(): boolean {
  return !process.stdin.isTTY;
}

/** Ignores Ctrl+C (SIGINT, and the Windows console's Ctrl+C event, which Node reports as SIGINT)
 * while a parent process drives this one over pipes. Returns whether it did. */
export function ignoreInterruptsWhileAttached(): boolean {
  if (!attachedToParent()) return false;
  process.on("SIGINT", () => {
    // Deliberately nothing: see above.
  });
  return true;
}
