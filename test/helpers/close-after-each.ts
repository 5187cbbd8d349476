import { afterEach } from 'vitest';

/**
 * The servers a test file starts (vendor stand-ins, local AWS endpoints), closed after each test:
 * `const track = closeAfterEach();` at the top of the file, then `track(await startSomething())`.
 */
export const closeAfterEach = () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const server of open.splice(0)) await server.close();
  });
  return <S extends { close(): Promise<void> }>(server: S): S => {
    open.push(server);
    return server;
  };
};
