/** A one-line progress bar on a terminal; on anything else, a plain line at every tenth. */
export interface ProgressBar {
  update(fraction: number, label: string): void;
  /** Ends the bar's line (the next output starts on a fresh one). */
  end(): void;
}

const WIDTH = 28;

/**
 * @example
 * const bar = createProgressBar(process.stderr);
 * bar.update(0.4, 'at 2026-03-10T12:00:00Z, 120 pushed');
 * bar.end();
 */
export const createProgressBar = (stream: NodeJS.WriteStream = process.stderr): ProgressBar => {
  const tty = stream.isTTY === true && !process.env.NO_COLOR;
  let lastTenth = -1;
  let drawn = false;
  return {
    update(fraction, label) {
      const clamped = Math.min(1, Math.max(0, fraction));
      const percent = `${Math.floor(clamped * 100)}%`.padStart(4);
      if (tty) {
        const filled = Math.round(clamped * WIDTH);
        const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
        // \r and "erase line": the bar redraws in place.
        stream.write(`\r\u001b[2K${bar} ${percent}  ${label}`);
        drawn = true;
        return;
      }
      const tenth = Math.floor(clamped * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        stream.write(`${percent}  ${label}\n`);
      }
    },
    end() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
};
