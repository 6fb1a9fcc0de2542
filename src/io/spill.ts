import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fs } from './fs-port.js';

/**
 * Spills byte records into `partitions` files under a private temp directory, buffering up to
 * `bufferBytes` per partition, then hands the partitions back one at a time (verify's bounded-memory
 * comparison: memory ≈ partitions × bufferBytes while spilling, one partition while comparing).
 */
export class PartitionSpill {
  private readonly buffers: Buffer[][];
  private readonly buffered: number[];
  readonly bytesSpilled: number[];

  private constructor(
    readonly dir: string,
    readonly partitions: number,
    private readonly bufferBytes: number,
  ) {
    this.buffers = Array.from({ length: partitions }, () => []);
    this.buffered = new Array(partitions).fill(0);
    this.bytesSpilled = new Array(partitions).fill(0);
  }

  static async create(
    partitions: number,
    bufferBytes = 256 * 1024,
    parent = tmpdir(),
  ): Promise<PartitionSpill> {
    return new PartitionSpill(await fs.mkdtemp(join(parent, 'efsink-verify-')), partitions, bufferBytes);
  }

  async add(partition: number, record: Buffer): Promise<void> {
    (this.buffers[partition] as Buffer[]).push(record);
    this.buffered[partition] = (this.buffered[partition] as number) + record.length;
    if ((this.buffered[partition] as number) >= this.bufferBytes) await this.flush(partition);
  }

  private async flush(p: number): Promise<void> {
    const chunks = this.buffers[p] as Buffer[];
    if (chunks.length === 0) return;
    const bytes = Buffer.concat(chunks);
    this.buffers[p] = [];
    this.buffered[p] = 0;
    await fs.appendFile(join(this.dir, `p${p}`), bytes);
    this.bytesSpilled[p] = (this.bytesSpilled[p] as number) + bytes.length;
  }

  /** Yields each partition's bytes (empty ones skipped); the spill files are removed afterwards. */
  async *drain(): AsyncGenerator<Buffer> {
    for (let p = 0; p < this.partitions; p++) await this.flush(p);
    for (let p = 0; p < this.partitions; p++) {
      if (this.bytesSpilled[p] === 0) continue;
      const path = join(this.dir, `p${p}`);
      const bytes = await fs.readFile(path);
      await fs.rm(path, { force: true });
      yield bytes;
    }
  }

  async dispose(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
