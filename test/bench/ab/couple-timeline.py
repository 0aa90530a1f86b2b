#!/usr/bin/env python3
"""Reads the JSON line of test/bench/decks/ctrace.ts (a file, or stdin) and prints: the best,
10th-percentile and median exchange and redistribution (ms, the later of the two ranks' ends
from the earlier start), per-rank CPU time, and with the trace hooks the sender's time per band,
the receiver's summed copy time, and the timeline of the best exchange band by band; for a split
target (marks 'read0'/'read'), medians of its summed read and mapping times, its wait for the
sender's done message, the sender's wait for its read message, and how far apart the ranks start.
  node dist/src/cli/main.js run --output raw -n 2 test/bench/decks/ctrace.ts 100 | python3 test/bench/ab/couple-timeline.py"""
import json, statistics, sys

d = json.loads((open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin).read().strip().split('\n')[-1])
s_out, r_out = d[0]['out'], d[1]['out']
rows = []
for rep, s in s_out.items():
    if int(rep[3:]) < 2:
        continue
    r = r_out[rep]
    t0 = min(s['ex'][0][1], r['ex'][0][1])
    ex = max(s['ex'][-1][1], r['ex'][-1][1]) - t0
    rd = max(x['redist'][1] - x['redist'][0] for x in (s, r))
    rows.append((ex, rd, rep))
ex = sorted(x[0] for x in rows); rd = sorted(x[1] for x in rows)
q = lambda v, f: v[int(len(v) * f)]
print('exchange best %.3f p10 %.3f median %.3f ms | redistribution best %.3f p10 %.3f median %.3f ms | best/best %.2f, median of per-rep ratios %.2f'
      % (ex[0], q(ex, .1), q(ex, .5), rd[0], q(rd, .1), q(rd, .5), ex[0] / rd[0], statistics.median(e / r for e, r, _ in rows)))
print('CPU per exchange / per redistribution: ' + '; '.join('rank %d %.3f / %.3f ms' % (x['rank'], x['cpuEx'], x['cpuRe']) for x in d))
best = min(rows)[2]
s, r = s_out[best], r_out[best]
posts = [t for k, t in s['ex'] if k == 'post']
if len(posts) > 2:
    per = []; copies = []
    for rep in s_out:
        p = [t for k, t in s_out[rep]['ex'] if k == 'post']
        per.append((p[-2] - p[0]) / (len(p) - 2))
        a = [t for k, t in r_out[rep]['ex'] if k == 'pull0']; b = [t for k, t in r_out[rep]['ex'] if k == 'pull']
        copies.append(sum(y - x for x, y in zip(a, b)))
    print('sender ms per band: best %.4f median %.4f | receiver copies summed: best %.3f median %.3f ms' % (min(per), statistics.median(per), min(copies), statistics.median(copies)))
    t0 = min(s['ex'][0][1], r['ex'][0][1])
    pulls0 = [t for k, t in r['ex'] if k == 'pull0']; pulls = [t for k, t in r['ex'] if k == 'pull']
    print('best exchange (%s), ms from its start:' % best)
    for b, p in enumerate(posts):
        line = '  band %2d posted %.3f' % (b, p - t0)
        if b < len(pulls):
            line += '  copied %.3f-%.3f (lag %.3f)' % (pulls0[b] - t0, pulls[b] - t0, pulls0[b] - p)
        print(line)
    for who, x in (('sender', s), ('receiver', r)):
        print('  ' + who + ': ' + ', '.join('%s %.3f' % (k, t - t0) for k, t in x['ex'] if k not in ('post', 'pull0', 'pull')))
if any(k == 'read0' for k, _ in r_out[best]['ex']):
    reads, maps, done, ack, skew = [], [], [], [], []
    for rep in s_out:
        if int(rep[3:]) < 2:
            continue
        S, R = s_out[rep]['ex'], r_out[rep]['ex']
        g = lambda X, k: [t for kk, t in X if kk == k]
        r0, r1, m = g(R, 'read0'), g(R, 'read'), g(R, 'mapped')
        reads.append(sum(b - a for a, b in zip(r0, r1))); maps.append(sum(y - b for b, y in zip(r1, m)))
        done.append(g(R, 'splitDone')[0] - g(R, 'splitWait')[0]); ack.append(g(S, 'sendsDone')[-1] - g(S, 'waitSends')[-1])
        skew.append(R[0][1] - S[0][1])
    md = statistics.median
    print('split target, medians: reads %.3f, mapping %.3f, wait for done %.3f ms; sender\'s wait for the read message %.3f ms; target starts %.3f ms after the sender'
          % (md(reads), md(maps), md(done), md(ack), md(skew)))
