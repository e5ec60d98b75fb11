import pkg from '../../../package.json'

/** The running Ortholens version, recorded in the projects it creates and writes. */
export const APP_VERSION: string = pkg.version
