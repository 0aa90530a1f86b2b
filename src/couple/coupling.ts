/**
 * Coupling: the description of how components exchange fields, declared identically on every
 * rank, checked before the first step, and connected to each rank's arrays: routing and
 * mapping weights are computed once there, and `exchange(time)` then runs them.
 */
import type { TypedArray } from '../comm/collectives.js';
import { ArgumentError, describe } from '../errors.js';
import { DistributedArray } from '../../decomposition/index.js';
import { isContiguous } from '../../decomposition/box.js';
import { checkDescription } from './check.js';
import { Component } from './components.js';
import { readDescription, type CouplingDescription, type Description, type FieldSpec } from './description.js';
import { CouplingError, DeclarationError, ShapeMismatchError } from './errors.js';
import { CouplingLink, type Progressive, type Route, type SplitReceive } from './link.js';
import { axisOf, axisWeights, identityAxis, wasmReceiver, wasmSender, type AxisWeights, type MapScratch, type WasmRows } from './mapping.js';
import { wasmKernelsEnabled } from './wasm.js';
import { arrayClass, MAPPED_BAND_ELEMENTS, MAPPED_HOT, planMappedReceives, planReceives, planSends, sendersContract, sendersMap, splitChunks, splitRows, type Box, type EndInfo, type MappedRows, type SendTarget, type Transfer } from './route.js';

/** A problem found on one rank while connecting, rebuilt as the same error on every rank. */
interface Problem {
  kind: 'ArgumentError' | 'ShapeMismatchError' | 'DeclarationError';
  message: string;
  from?: string;
  to?: string;
}

/** The coupling of a model's components: fields, grids, units, interfaces. */
export class Coupling {
  /** @internal The normalized description. */
  readonly description: Description;
  private checked = false;

  /**
   * Reads a coupling description (the same on every rank). Local. Throws ArgumentError for
   * malformed values and DeclarationError for interfaces between unknown or wrong fields.
   */
  constructor(description: CouplingDescription) {
    this.description = readDescription(description);
  }

  /** The component names, in declaration order. */
  get components(): string[] {
    return [...this.description.components.keys()];
  }

  /** The coupling interval of the interface that feeds `to` ('component.field'), after check(). Local. Throws ArgumentError for an unknown field. */
  interval(to: string): number {
    this.check();
    const i = this.description.interfaces.find((x) => x.to.key === to || x.from.key === to);
    if (i === undefined) throw new ArgumentError(`Coupling.interval: no interface has the field ${describe(to)}; the interfaces are ${this.description.interfaces.map((x) => `${x.from.key} → ${x.to.key}`).join(', ')}`);
    return i.every!;
  }

  /**
   * Checks the coupling before any step: every field sent has a receiver and every received
   * field a sender, units agree, the grids of each interface have the same dimension and dof
   * and cover the same region, each interval is a whole number of steps of both components,
   * and serial interfaces form no wait cycle. Local and deterministic (no messages: every rank
   * reaches the same verdict); `connect` runs it too. Returns this. Throws UnconnectedFieldError,
   * UnitMismatchError, ShapeMismatchError, IntervalError or WaitCycleError naming components
   * and fields.
   */
  check(): this {
    if (!this.checked) { checkDescription(this.description); this.checked = true; }
    return this;
  }

  /**
   * Connects this rank to the coupling: `arrays` holds this component's fields by name (every
   * field it sends or receives, as DistributedArrays on grids of the declared shapes and dof,
   * on the component's ranks). Runs check(), verifies that every rank declared the same
   * coupling and that the components match `component`'s, and computes the routes and mapping
   * weights once. Collective over `component.parent`, blocking. Every rank throws the same
   * error: the check's errors, DeclarationError (different descriptions, components unknown to
   * the description), ShapeMismatchError (an array on another grid), ArgumentError.
   */
  connect(component: Component, arrays: Record<string, DistributedArray<TypedArray>>): CouplingLink {
    if (!(component instanceof Component)) throw new ArgumentError(`Coupling.connect(component, arrays): component must come from components(world, ...), got ${describe(component)}`);
    if (typeof arrays !== 'object' || arrays === null) throw new ArgumentError(`Coupling.connect: arrays must be an object { field: DistributedArray } of ${component.name}'s fields, got ${describe(arrays)}`);
    const parent = component.parent;
    const d = this.description;
    this.check();   // deterministic: every rank holding this description throws the same error here
    let problem: Problem | null = null;
    let digest = '';
    const ends: EndInfo[] = [];
    // this process, when a local peer may copy its memory in one step (a split target, route.ts
    // splitRows); SIMDECK_COUPLE_SPLIT=0 (read here) turns splits off, a number in (0, 1) is the
    // sender's share of a target this rank receives
    const splitEnv = process.env.SIMDECK_COUPLE_SPLIT, share = Number(splitEnv);
    const vm = splitEnv === '0' ? 0 : parent.transport.singleCopyPid ?? 0;
    const weights = new Map<number, AxisWeights[]>();
    try {
      digest = JSON.stringify({
        c: [...d.components.values()].map((c) => [c.name, c.dt, c.fields]),
        i: d.interfaces.map((i) => [i.from.key, i.to.key, i.map, i.every, i.order]),
      });
      const declared = [...d.components.keys()];
      const missing = component.names.filter((n) => !d.components.has(n));
      const absent = declared.filter((n) => !component.names.includes(n));
      if (missing.length > 0 || absent.length > 0) {
        throw new DeclarationError(`Coupling.connect: the job's components are ${component.names.join(', ')} but the coupling declares ${declared.join(', ')}` +
          `${missing.length ? `; declare ${missing.join(', ')}` : ''}${absent.length ? `; ${absent.join(', ')} ${absent.length > 1 ? 'have' : 'has'} no ranks` : ''}`);
      }
      const mine = d.components.get(component.name)!;
      const names = mine.fields.map((f) => f.name);
      for (const k of Object.keys(arrays)) {
        if (!names.includes(k)) throw new DeclarationError(`Coupling.connect: ${component.name} declares no field '${k}' (it has ${names.join(', ') || 'none'}); pass only its declared fields`);
      }
      for (const f of mine.fields) checkArray(f, arrays[f.name], component);
      for (const i of d.interfaces) {
        if (i.from.component === component.name) {
          const a = arrays[i.from.name], g = a.grid;
          ends.push({ i: i.index, ...owned(a), type: a.data.constructor.name, cl: g.strides[g.ndim - 1] === g.dof, wk: i.map === 'linear' && wasmKernelsEnabled(), vm });
        } else if (i.to.component === component.name) {
          const a = arrays[i.to.name], g = a.grid;
          const axes = g.shape.map((_, dim) => axisWeights(i.map,
            axisOf(i.from, dim), axisOf(i.to, dim), g.start[dim], g.start[dim] + g.size[dim]));
          weights.set(i.index, axes);
          ends.push({
            i: i.index, ...owned(a), fp: { lo: axes.map((x) => x.srcLo), hi: axes.map((x) => x.srcHi) }, li: axes[axes.length - 1].identity, id: axes.every((x) => x.identity),
            rows: g.ndim === 2 && g.dof === 1 && i.map === 'linear' && axes[1].pairs && a.data instanceof Float64Array && g.layout === 'C' && isContiguous(g.size, g.ghostSize),
            wk: i.map === 'linear' && wasmKernelsEnabled(), vm, ...(share > 0 && share < 1 ? { sh: share } : {}),
          });
        }
      }
    } catch (e) {
      if (!(e instanceof CouplingError || e instanceof ArgumentError)) throw e;
      problem = { kind: e.constructor.name as Problem['kind'], message: e.message, ...(e instanceof ShapeMismatchError ? { from: e.from, to: e.to } : {}) };
    }
    const all = parent.allgather({ digest, problem, ends }) as { digest: string; problem: Problem | null; ends: EndInfo[] }[];
    const bad = all.find((x) => x.problem !== null)?.problem;
    if (bad) throw rebuild(bad);
    const differ = all.findIndex((x) => x.digest !== all[0].digest);
    if (differ >= 0) {
      throw new DeclarationError(`Coupling.connect: rank ${differ} of ${parent.name} declared another coupling than rank 0 (components, fields, grids, units or interfaces differ); ` +
        'declare the coupling identically on every rank, e.g. in one module every deck imports');
    }
    const channel = parent.dup();
    const routes: Route[] = [];
    for (const i of d.interfaces) {
      const sources: (EndInfo & { peer: number })[] = [];
      const targets: (EndInfo & { peer: number })[] = [];
      all.forEach((x, peer) => {
        for (const e of x.ends) {
          if (e.i !== i.index) continue;
          if (e.fp !== undefined) targets.push({ ...e, peer });
          else sources.push({ ...e, peer });
        }
      });
      const bytes = sources[0]?.type === 'Float32Array' ? 4 : 8;
      const last = i.from.shape.length - 1;
      if (i.from.component === component.name) {
        const a = arrays[i.from.name];
        // the weights of each contracting target's last dimension, as that target computed them
        const sendTo: SendTarget[] = targets.map((t) => {
          const mine = sendersMap(t, sources, bytes) === parent.rank, split = mine ? splitRows(t, sources, parent.rank) : -1;
          return {
            peer: t.peer, fp: t.fp!, lo: t.lo[last], hi: t.hi[last], banded: t.id === false,
            contract: sendersContract(t, sources, bytes) ? axisWeights(i.map, axisOf(i.from, last), axisOf(i.to, last), t.lo[last], t.hi[last]) : null,
            // a target whose whole footprint is this rank's: its first dimension's weights, as it computed them
            rows: mine ? axisWeights(i.map, axisOf(i.from, 0), axisOf(i.to, 0), t.lo[0], t.hi[0]) : null,
            // and when the target maps part of it: the rows this rank maps, written into its array
            split: split >= 0 ? { rows: split, pid: t.vm! } : null,
          };
        });
        const transfers = planSends(a, owned(a), sendTo);
        // the targets this rank maps whole, each with a ring of contracted rows of its width
        const mapped = [...new Set(transfers.map((t) => t.rows).filter((m) => m != null))] as MappedRows[];
        const ringSize = (m: MappedRows) => m.slots * transfers.find((t) => t.rows === m)!.counts[1] * a.grid.dof;
        // and MAPPED_HOT buffers of its largest band (the first)
        const bandSize = (m: MappedRows) => transfers.find((t) => t.rows === m)!.elements;
        const extra = mapped.flatMap((m) => [ringSize(m), ...new Array<number>(MAPPED_HOT).fill(bandSize(m))]);
        // contracted rows are computed in WebAssembly memory and sent from views of it
        let wasm: WasmRows | null = null;
        let views: Float64Array[] | null = null;
        if (i.map === 'linear') {
          const w = wasmSender(transfers.map((t) => t.contract), transfers.map((t) => t.elements), a.grid.dof, extra);
          if (w !== null) {
            wasm = w.rows;
            views = w.rings;
            transfers.forEach((t, k) => { if (w.bufs[k] !== null) t.buf = w.bufs[k]; });
          }
        }
        views ??= extra.map((n) => new Float64Array(n));
        mapped.forEach((m, q) => {
          const at = q * (1 + MAPPED_HOT);
          m.ring = views![at];
          m.hot = views!.slice(at + 1, at + 1 + MAPPED_HOT);
        });
        routes.push({ spec: i, role: 'send', array: a, transfers, axes: [], footprint: null, direct: null, contiguous: false, scratch: { stages: [] }, next: null, requests: [], progressive: null, wasm });
      } else if (i.to.component === component.name) {
        const a = arrays[i.to.name], g = a.grid, weighed = weights.get(i.index)!;
        const mine = targets.find((t) => t.peer === parent.rank)!;
        const contracted = sendersContract(mine, sources, bytes);
        const banded = mine.id === false;
        // contracted: the footprint holds this rank's own columns along the last dimension
        const axes = contracted ? [...weighed.slice(0, last), identityAxis(g.start[last], g.start[last] + g.size[last])] : weighed;
        const fp: Box = { lo: weighed.map((x) => x.srcLo), hi: weighed.map((x) => x.srcHi) };
        const n = axes.reduce((s, x) => s * (x.srcHi - x.srcLo), i.from.dof);
        const Type = contracted ? Float64Array : arrayClass(sources[0]?.type ?? 'Float64Array');
        const contiguous = (g.layout === 'C' || g.ndim === 1) && isContiguous(g.size, g.ghostSize);
        // (a contracted footprint is never the target itself: the values land in the target's
        // data when finishReceive copies them, as every mapped interface's do, not mid-exchange)
        const copy = !contracted && axes.every((x) => x.identity && x.srcHi - x.srcLo === x.hi - x.lo) && Type === a.data.constructor && contiguous;
        let offset = 0;
        for (let dim = 0; dim < g.ndim; dim++) offset += (g.start[dim] - g.ghostStart[dim]) * g.strides[dim];
        // one source rank maps this block whole: its rows land here as a redistribution's would
        const mapper = sendersMap(mine, sources, bytes);
        if (mapper >= 0) {
          const size = g.size[0] * g.size[1] * i.from.dof;
          const split = splitRows(mine, sources, mapper);
          routes.push({
            spec: i, role: 'receive', array: a, transfers: split >= 0 ? splitReceives(weighed, split, mapper) : planMappedReceives(owned(a), i.from.dof, mapper), axes, footprint: null,
            direct: { offset, length: size }, contiguous, scratch: { stages: [] }, next: null, requests: [], progressive: null, wasm: null,
            split: split >= 0 ? splitReceive(weighed, split, sources.find((s) => s.peer === mapper)!.vm!) : null,
          });
          continue;
        }
        const transfers = planReceives(fp, i.from.dof, sources.map((s) => ({ peer: s.peer, box: { lo: s.lo, hi: s.hi } })), banded,
          contracted ? [g.start[last], g.start[last] + g.size[last]] : null);
        // a 2-D contracted footprint combines pairs of rows: it lives in WebAssembly memory,
        // where the messages land and the kernel reads them
        const scratch: MapScratch = { stages: [] };
        let footprint: TypedArray | null = null;
        if (!copy) {
          const w = contracted && g.ndim === 2 && i.map === 'linear' && !axes[0].identity ? wasmReceiver(n, g.size[last] * i.from.dof) : null;
          if (w !== null) { footprint = w.footprint; scratch.wasm = w.rows; } else footprint = new Type(n);
        }
        routes.push({
          spec: i, role: 'receive', array: a, transfers, axes,
          footprint, direct: copy ? { offset, length: n } : null, contiguous, scratch, next: null, requests: [],
          progressive: !copy && banded && g.ndim >= 2 && !axes.every((x) => x.identity) ? progressiveOf(axes, transfers) : null, wasm: null,
        });
      }
    }
    return new CouplingLink(component, channel, routes);
  }
}

/**
 * The reads of a target that maps its rows from `split` on itself (splitRows): the raw source
 * rows of its footprint's columns, in chunks (splitChunks), which it reads from the sender's
 * array into its window (SplitReceive). Local.
 */
function splitReceives(axes: readonly AxisWeights[], split: number, peer: number): Transfer[] {
  const a0 = axes[0], a = axes[1], width = a.srcHi - a.srcLo;
  // (no offset: finishSplit reads each chunk into its window after the rows it keeps from the one before)
  return splitChunks(a0, split, width).map(([r0, r1]) => ({
    peer, offset: 0, counts: [r1 - r0, width], strides: [width, 1], elements: (r1 - r0) * width, contiguous: true,
    dense: [width, 1], buf: null, contract: null, slabs: [r0, r1] as [number, number],
  }));
}

/**
 * A split target's own mapping (splitRows): a window for the source rows it reads, a ring of
 * weighted rows and a band of finished rows, in the WebAssembly kernels' memory when they can be
 * had (the window outside it when the arena would be too large with it) (else the JavaScript kernels: the same bits). Local.
 */
function splitReceive(axes: readonly AxisWeights[], split: number, pid: number): SplitReceive {
  const a0 = axes[0], a = axes[1], width = a.srcHi - a.srcLo, len = a.hi - a.lo, m0 = a0.hi - a0.lo;
  const chunks = splitChunks(a0, split, width), w0 = chunks[0][0];
  let slots = 1;
  for (let j = 0; j < m0; j++) if (a0.ptr[j + 1] > a0.ptr[j]) slots = Math.max(slots, a0.idx[a0.ptr[j + 1] - 1] - a0.idx[a0.ptr[j]] + 1);
  const bandRows = Math.max(1, Math.floor(MAPPED_BAND_ELEMENTS / Math.max(1, len)));
  // the window (the largest chunk and the rows kept from the one before: link.ts finishSplit) in
  // the arena too when it fits (runRows4 then reads the source rows where they were read, with
  // no copy), else a Float64Array of its own
  let most = 0;
  for (const [r0, r1] of chunks) most = Math.max(most, r1 - r0);
  const n = (most + slots) * width;
  const ww = wasmSender([a], [0], 1, [slots * len, bandRows * len, n]);
  const w = ww ?? wasmSender([a], [0], 1, [slots * len, bandRows * len]);
  return {
    rows: split, a0, a, window: ww?.rings[2] ?? new Float64Array(n), first: w0, width,
    ring: w?.rings[0] ?? new Float64Array(slots * len), held: new Int32Array(slots).fill(-1),
    out: w?.rings[1] ?? new Float64Array(bandRows * len), bandRows, wasm: w?.rows ?? null,
    address: new Float64Array(1), done: new Float64Array(1), requests: [],
    pid, source: new Float64Array(2), request: null, read: new Float64Array(1),
  };
}

/**
 * The order in which a receiver waits for its messages (by first footprint slab) and, per
 * target slab j, how many leading footprint slabs target slabs 0..j read.
 */
function progressiveOf(axes: readonly AxisWeights[], transfers: readonly Transfer[]): Progressive {
  const a = axes[0], m = a.hi - a.lo, need = new Int32Array(m);
  let most = 0;
  for (let j = 0; j < m; j++) {
    if (a.ptr[j + 1] > a.ptr[j]) most = Math.max(most, a.idx[a.ptr[j + 1] - 1] - a.srcLo + 1);
    need[j] = most;
  }
  const order = transfers.map((_, k) => k).sort((x, y) => transfers[x].slabs[0] - transfers[y].slabs[0] || x - y);
  return { order, need, pending: new Int32Array(a.srcHi - a.srcLo) };
}

function owned(a: DistributedArray<TypedArray>): Box {
  const g = a.grid;
  return { lo: [...g.start], hi: g.start.map((s, dim) => s + g.size[dim]) };
}

function checkArray(f: FieldSpec, a: unknown, component: Component): void {
  if (a === undefined) throw new ArgumentError(`Coupling.connect: pass ${component.name}'s field '${f.name}' (${f.role === 'sends' ? 'it sends it' : 'it receives it'}) in arrays, as { ${f.name}: grid.zeros(Float64Array) }`);
  if (!(a instanceof DistributedArray)) throw new ArgumentError(`Coupling.connect: ${f.key} must be a DistributedArray, got ${describe(a)}`);
  const g = a.grid;
  if (!(a.data instanceof Float64Array || a.data instanceof Float32Array)) throw new ArgumentError(`Coupling.connect: ${f.key} holds ${a.data.constructor.name}; coupled fields are Float64Array or Float32Array`);
  if (g.shape.length !== f.shape.length || g.shape.some((n, dim) => n !== f.shape[dim]) || g.dof !== f.dof) {
    throw new ShapeMismatchError(`Coupling.connect: ${f.key} is declared with shape [${f.shape.join(', ')}] and dof ${f.dof}, but its array's grid has shape [${g.shape.join(', ')}] and dof ${g.dof}; ` +
      'make the grid of the declared shape (or fix the declaration)', f.key, f.key);
  }
  if (g.comm.size !== component.comm.size || g.comm.group.compare(component.comm.group) === 'unequal') {
    throw new ShapeMismatchError(`Coupling.connect: ${f.key}'s grid lives on ${g.comm.toString()} (${g.comm.size} ranks), not on ${component.name}'s ranks; build it on component.comm`, f.key, f.key);
  }
}

function rebuild(p: Problem): Error {
  if (p.kind === 'ShapeMismatchError') return new ShapeMismatchError(p.message, p.from ?? '', p.to ?? '');
  if (p.kind === 'DeclarationError') return new DeclarationError(p.message);
  if (p.kind === 'ArgumentError') return new ArgumentError(p.message);
  return new CouplingError(p.message);
}
