// Child process for Semaphore tests: `node sem-half-creator.js <key> [count]` creates the set as
// Semaphore.open does, sets the count if one is given, then SIGKILLs itself before writing the
// unibus marker: a creator killed at the worst moment of open().
import { IPC_CREAT, IPC_EXCL, semget, semSetValue } from '../../src/native/sysv-sem.js';

const [keyText, count] = process.argv.slice(2) as [string, string?];
const id = semget(Number(keyText), 2, IPC_CREAT | IPC_EXCL | 0o600);
if (count !== undefined) semSetValue(id, 0, Number(count));
process.kill(process.pid, 'SIGKILL');
