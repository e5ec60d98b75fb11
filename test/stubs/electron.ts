// Stand-in for the `electron` module under vitest: engine, store and jobs must never need it.
export const app = undefined
export const ipcMain = undefined
export const BrowserWindow = undefined
export default {}
