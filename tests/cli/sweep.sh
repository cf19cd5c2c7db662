#!/usr/bin/env bash
# A tiny real sweep (2 points x 1 trace): results.csv has both rows with status ok and a plot
# is drawn; the same points as a job list, run by bash and merged, give the same rows; the
# minimum-size finder answers.
set -euo pipefail
nicsim=$1 trace=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cd "$work"
ok_rows() { awk -F, 'NR > 1 && $NF == "ok"' "$1" | wc -l; }

"$nicsim" sweep --trace "$trace" --grid mac.rx_fifo_bytes=16K,64K -j 2 --out run > run.txt 2>&1 ||
  { cat run.txt; echo "sweep failed"; exit 1; }
[ "$(ok_rows run/results.csv)" -eq 2 ] || { cat run/results.csv; echo "want 2 rows with status ok"; exit 1; }
head -1 run/results.csv | grep -q '^point,trace,mac.rx_fifo_bytes,.*,status$' ||
  { echo "unexpected header: $(head -1 run/results.csv)"; exit 1; }
if gnuplot -e 'set terminal' 2>&1 | grep -q png; then
  ls run/plots/*.png >/dev/null 2>&1 || { cat run.txt; echo "no PNG written"; exit 1; }
else
  echo "gnuplot with a PNG terminal not found: PNG check skipped"
fi

"$nicsim" sweep --trace "$trace" --grid mac.rx_fifo_bytes=16K,64K --emit-jobs jobs > /dev/null
[ "$(wc -l < jobs/jobs.txt)" -eq 2 ] || { echo "want 2 lines in jobs.txt"; exit 1; }
grep -q '^#SBATCH --array=0-1$' jobs/slurm.sh || { echo "bad Slurm array"; exit 1; }
bash jobs/jobs.txt
"$nicsim" sweep --merge jobs --out merged > /dev/null
diff <(cut -d, -f1-12 run/results.csv) <(cut -d, -f1-12 merged/results.csv) ||
  { echo "merged results differ from the local run"; exit 1; }

"$nicsim" sweep --find-min mac.rx_fifo_bytes --lo 9K --hi 64K --step 1K --trace "$trace" --out min > min.txt ||
  { cat min.txt; echo "find-min failed"; exit 1; }
grep -q '^smallest mac.rx_fifo_bytes with counters.drop_mac_fifo_full <= 0: ' min.txt ||
  { cat min.txt; echo "find-min gave no answer"; exit 1; }
echo "sweep ok: $(tail -n +2 run/results.csv | wc -l) points; $(grep '^smallest' min.txt)"
