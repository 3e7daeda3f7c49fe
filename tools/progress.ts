// A progress bar on stderr for long CLI operations: redrawn in place on a terminal, and on
// anything else (a pipe, a log file, a test) one line at each quarter, so logs stay short.

export interface Progress {
  /** Counts `n` more done. */
  tick(n?: number): void;
  /** Ends the bar with its final line. */
  done(): void;
}

const WIDTH = 30;

export function progressBar(stream: { write(text: string): unknown; isTTY?: boolean }, label: string, total: number): Progress {
  const tty = stream.isTTY === true;
  let count = 0;
  let lastQuarter = 0;
  let lastDraw = 0;
  const line = () => {
    const filled = total === 0 ? WIDTH : Math.round((count / total) * WIDTH);
    return `atlog: ${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${count}/${total}`;
  };
  return {
    tick(n = 1) {
      count = Math.min(total, count + n);
      if (tty) {
        const now = Date.now();
        if (now - lastDraw >= 50 || count === total) {
          lastDraw = now;
          stream.write(`\r${line()}`);
        }
        return;
      }
      const quarter = total === 0 ? 4 : Math.floor((count / total) * 4);
      if (quarter > lastQuarter && quarter < 4) {
        lastQuarter = quarter;
        stream.write(`${line()}\n`);
      }
    },
    done() {
      stream.write(tty ? `\r${line()}\n` : `${line()}\n`);
    },
  };
}
