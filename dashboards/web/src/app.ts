// Hooks the entry module (main.ts) fills in, so pages can navigate without importing the entry module.
export const app = {
  navigate: (_path: string, _replace?: boolean): void => {},
  loggedIn: (_csrf: string): void => {},
};
