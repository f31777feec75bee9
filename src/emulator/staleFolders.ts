/**
 * The emulator's temp folder (`aztokenbridge-emulator-<pid>-XXXXXX`, 0700: the CA file, the TLS
 * key's certificate and `client-certificate.pem` with its private key) is removed when it stops;
 * an emulator killed with SIGKILL (or a crash, a power cut) leaves it behind. So every emulator,
 * when it starts and when it stops, removes the folders of emulators that are gone (issue R,
 * item 3): only entries of the temp folder that
 *   - are named by this program (the prefix, then the pid of the emulator that made it),
 *   - are directories, not symbolic links (lstat: nothing is followed),
 *   - belong to the current user (where there are uids),
 *   - and whose pid is not a live process (kill(pid, 0) fails with ESRCH; EPERM — another user's
 *     process — and any other answer count as alive).
 * A live emulator's folder is never touched. A reused pid keeps a stale folder (the safe side).
 * Folders of earlier versions, without a pid in their name, are left alone.
 */
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";

export const EMULATOR_FOLDER_PREFIX = "aztokenbridge-emulator-";

/** The mkdtemp prefix of this process's folder: the prefix and the pid. */
export function emulatorFolderPrefix(tmp = os.tmpdir(), pid = process.pid): string {
  return path.join(tmp, `${EMULATOR_FOLDER_PREFIX}${pid}-`);
}

const NAME = /^aztokenbridge-emulator-(\d{1,10})-[A-Za-z0-9]{6}$/;

/** Whether a process with this pid exists (any user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Removes the folders of emulators that are gone; returns the folders removed. Never throws. */
export async function removeStaleEmulatorFolders(tmp = os.tmpdir(), alive: (pid: number) => boolean = processAlive): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await fs.readdir(tmp);
  } catch {
    return removed;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pid <= 0) continue;
    const dir = path.join(tmp, name);
    try {
      const st = await fs.lstat(dir);
      if (!st.isDirectory() || st.isSymbolicLink()) continue;
      if (uid !== undefined && st.uid !== uid) continue;
      if (alive(pid)) continue;
      await fs.rm(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      /* gone meanwhile, or not ours to remove: leave it */
    }
  }
  return removed;
}
