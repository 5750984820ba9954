// Ctrl-C (SIGINT) and SIGTERM during training: the first one asks the loop to finish its step, save
// and stop (exit code 130 or 143); a second one exits at once.
export function onStopSignal(onRequest?: () => void) {
  let signal: NodeJS.Signals | null = null;
  const handler = (sig: NodeJS.Signals) => {
    if (signal) process.exit(sig === 'SIGINT' ? 130 : 143);
    signal = sig;
    onRequest?.();
    process.stderr.write(`\nbert-cli: ${sig}: finishing this step and saving a checkpoint (again to quit now)\n`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    requested: () => signal !== null,
    exitCode: () => (signal === 'SIGTERM' ? 143 : 130),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
