// A fixed-size latency histogram: about 1.5% precision from 1 µs to ~70 minutes, so a workload
// that delivers millions of events (watch) records each one without keeping it.

package main

import "math/bits"

// subBucketBits sets the precision: 2^subBucketBits sub-buckets per power of two.
const subBucketBits = 6
const subBuckets = 1 << subBucketBits

// histogramBucketsMax covers values up to 2^32 µs.
const histogramBucketsMax = (32 - subBucketBits + 1) * subBuckets

type histogram struct {
	counts [histogramBucketsMax]uint64
	total  uint64
}

func bucketOf(micros uint64) int {
	if micros < subBuckets {
		return int(micros)
	}
	exponent := bits.Len64(micros) - subBucketBits // >= 1
	index := exponent*subBuckets + int(micros>>uint(exponent-1)) - subBuckets
	if index >= histogramBucketsMax {
		return histogramBucketsMax - 1
	}
	return index
}

// lowestOf is the smallest value that falls in bucket index.
func lowestOf(index int) uint64 {
	if index < subBuckets {
		return uint64(index)
	}
	exponent := index / subBuckets
	return uint64(index%subBuckets+subBuckets) << uint(exponent-1)
}

func (h *histogram) record(micros uint64) {
	h.counts[bucketOf(micros)]++
	h.total++
}

func (h *histogram) merge(other *histogram) {
	for i, count := range other.counts {
		h.counts[i] += count
	}
	h.total += other.total
}

// percentileMs is the lower bound of the bucket holding the p-th percentile, in milliseconds.
func (h *histogram) percentileMs(p float64) float64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(p / 100 * float64(h.total))
	if rank >= h.total {
		rank = h.total - 1
	}
	var seen uint64
	for i, count := range h.counts {
		seen += count
		if seen > rank {
			return float64(lowestOf(i)) / 1000
		}
	}
	return float64(lowestOf(histogramBucketsMax-1)) / 1000
}
