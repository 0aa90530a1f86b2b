/**
 * simdeck/steer: the simulation loop and its steering. A deck declares steerable parameters and
 * stop criteria, chooses its time step from a global reduction, registers hooks, and runs; with
 * `simdeck run --steer` a browser or `simdeck attach` changes parameters, pauses, steps, stops
 * and asks every rank questions, and every rank sees each change at the same step.
 */
export {
  Simulation, type SimulationOptions, type StopCriteria, type ParamChange, type SimulationState, type StopReason, type LoopPoint,
} from './simulation.js';
export { type ParamSpec, type ParamSchema, type ParamValue, type ParamValues, describeParams, checkValue } from './params.js';
export { type Cadence } from './cadence.js';
export { type TimestepOptions } from './timestep.js';
export { CommandLog, readCommandLog, type LogEntry } from './commandLog.js';
export { ScriptedLink, type ScriptedLinkOptions } from './scriptedLink.js';
export { openSteering, steeringRequested } from './openLink.js';
export { parseDuration, formatSeconds, roundTime } from './duration.js';
export { evaluate, type EvalAnswer } from './evaluate.js';
export { PhaseTimers, formatTimers } from './timers.js';
export { ParameterError, TimestepError, ReplayError, SteeringUnavailableError } from './errors.js';
export type {
  SteerCommand, SteerRequest, SteerReply, SteerStatus, ParamDescription, SteeringLink, TimerSummary,
} from './link.js';
export { publishPlot, publishMetrics, type PlotFrame, type MetricsPanel } from './publish.js';
