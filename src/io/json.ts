/** Reading the user's JSON files; no writer here, so the loaders stay light at start-up. */
import { promises as fs } from 'node:fs';
import { errnoCode, usageError } from '../errors.js';

/**
 * Read and parse a JSON file the user gave us. A missing or broken file is the user's input:
 * exit 2 with the file named (`label` is how to name it, default the path).
 */
export async function readJsonFile(path: string, label: string = path): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    throw usageError('E_INPUT', `${label}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`}`);
  }
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw usageError('E_INPUT', `${label}: not valid JSON (${(err as Error).message})`);
  }
}

/** A managed JSON file that may be absent or torn: its value, or null (the caller treats both as "not there"). */
export async function readJsonOrNull(path: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as unknown;
  } catch {
    return null;
  }
}
