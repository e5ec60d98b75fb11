/** The product job worker: the real job bodies (runners.ts) behind the typed protocol. */
import { runWorkerLoop } from './workerLoop'
import { closeProjects, jobRunners } from './runners'

runWorkerLoop(jobRunners, closeProjects)
