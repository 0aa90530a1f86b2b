#!/bin/sh
# A stand-in for an external simulation code: reads its parameter from the command line, "runs"
# (parameters divisible by 13 hang, as a real code sometimes does), and writes one result line.
x=$1
if [ $((x % 13)) -eq 0 ]; then sleep 30; fi
echo "x=$x cube=$((x * x * x)) mod7=$((x % 7))"
