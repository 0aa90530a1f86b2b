# The matplotlib peer of test/bench/decks/render512.mjs: the same 512 x 512 field as a heat map
# (imshow, nearest, viridis) with a colour bar, its label, axis labels and a title, saved to PNG
# in memory, `repeats` times; prints one JSON line with every time (ms).
#   /usr/bin/python3 test/bench/peers/render512.py [repeats] [out.png]
import io, json, sys, time
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 10
out = sys.argv[2] if len(sys.argv) > 2 else None
N = 512
i, j = np.mgrid[0:N, 0:N]
a = np.sin(i / 30) * np.cos(j / 20) + i / N   # a[i, j]: i along x, j along y

def render():
    fig, ax = plt.subplots(figsize=(6.7, 6.0), dpi=100)
    im = ax.imshow(a.T, origin='lower', extent=(0, 1, 0, 1), cmap='viridis', interpolation='nearest')
    fig.colorbar(im, ax=ax, label='T [K]')
    ax.set_title('Temperature — step 500, t = 1.25 s')
    ax.set_xlabel('x [m]')
    ax.set_ylabel('y [m]')
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    plt.close(fig)
    return buf.getvalue()

t = time.perf_counter(); png = render(); first = (time.perf_counter() - t) * 1000
ms = []
for _ in range(repeats):
    t = time.perf_counter(); png = render(); ms.append((time.perf_counter() - t) * 1000)
if out:
    open(out, 'wb').write(png)
print(json.dumps({'first_ms': first, 'ms': ms, 'bytes': len(png)}))
