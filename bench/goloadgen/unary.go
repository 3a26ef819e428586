// Unary workloads: put, txn (a compare that holds, then a put), single-key ranges (linearizable or serializable)
// and a range over a prefix of many keys. Each client goroutine keeps one request in flight.

package main

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
)

const rangePrefix = "/benchrange/"

// seedConcurrency is how many puts are in flight while the keys a read workload reads are written.
const seedConcurrency = 50

func benchKey(i int) string { return fmt.Sprintf("/bench/%08d", i) }

type operation func(ctx context.Context, kv clientv3.KV, key string) error

func operationOf(o options, value string) (operation, error) {
	switch o.op {
	case "put":
		return func(ctx context.Context, kv clientv3.KV, key string) error {
			_, err := kv.Put(ctx, key, value)
			return err
		}, nil
	case "txn":
		return func(ctx context.Context, kv clientv3.KV, key string) error {
			_, err := kv.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "<", math.MaxInt64)).Then(clientv3.OpPut(key, value)).Commit()
			return err
		}, nil
	case "range-linearizable":
		return func(ctx context.Context, kv clientv3.KV, key string) error {
			_, err := kv.Get(ctx, key)
			return err
		}, nil
	case "range-serializable":
		return func(ctx context.Context, kv clientv3.KV, key string) error {
			_, err := kv.Get(ctx, key, clientv3.WithSerializable())
			return err
		}, nil
	case "range-prefix":
		return func(ctx context.Context, kv clientv3.KV, _ string) error {
			response, err := kv.Get(ctx, rangePrefix, clientv3.WithPrefix())
			if err == nil && len(response.Kvs) == 0 {
				err = fmt.Errorf("range over %s returned no keys", rangePrefix)
			}
			return err
		}, nil
	}
	return nil, fmt.Errorf("unknown -op %s", o.op)
}

// seed writes the keys a read workload reads.
func seed(kv clientv3.KV, keys []string, value string) error {
	var next int64 = -1
	var failure error
	var mutex sync.Mutex
	var group sync.WaitGroup
	for g := 0; g < seedConcurrency; g++ {
		group.Add(1)
		go func() {
			defer group.Done()
			for {
				i := int(atomic.AddInt64(&next, 1))
				if i >= len(keys) {
					return
				}
				ctx, cancel := withTimeout()
				_, err := kv.Put(ctx, keys[i], value)
				cancel()
				if err != nil {
					mutex.Lock()
					failure = err
					mutex.Unlock()
					return
				}
			}
		}()
	}
	group.Wait()
	return failure
}

func runUnary(o options, clients []*clientv3.Client) (result, error) {
	value := string(make([]byte, o.valueBytes))
	op, err := operationOf(o, value)
	if err != nil {
		return result{}, err
	}
	keySpace := o.keySpace
	seeded := 0
	switch o.op {
	case "range-linearizable", "range-serializable":
		if keySpace > 1000 {
			keySpace = 1000
		}
		keys := make([]string, keySpace)
		for i := range keys {
			keys[i] = benchKey(i)
		}
		if err := seed(clients[0], keys, value); err != nil {
			return result{}, fmt.Errorf("seed: %w", err)
		}
		seeded = len(keys)
	case "range-prefix":
		keys := make([]string, o.rangeKeys)
		for i := range keys {
			keys[i] = fmt.Sprintf("%s%06d", rangePrefix, i)
		}
		if err := seed(clients[0], keys, value); err != nil {
			return result{}, fmt.Errorf("seed: %w", err)
		}
		seeded = len(keys)
	}
	keys := make([]string, keySpace)
	for i := range keys {
		keys[i] = benchKey(i)
	}

	var measuring, stop int32
	var counter int64 = -1
	var errs errorLog
	latencies := make([][]time.Duration, o.clients)
	var group sync.WaitGroup
	if o.total > 0 {
		measuring = 1
	}
	started := time.Now()
	for c := 0; c < o.clients; c++ {
		group.Add(1)
		go func(c int) {
			defer group.Done()
			kv := clients[c%len(clients)].KV
			ctx := context.Background()
			for atomic.LoadInt32(&stop) == 0 {
				n := atomic.AddInt64(&counter, 1)
				if o.total > 0 && n >= int64(o.total) {
					return
				}
				began := time.Now()
				err := op(ctx, kv, keys[n%int64(len(keys))])
				if atomic.LoadInt32(&measuring) == 0 {
					continue
				}
				if err != nil {
					errs.add(err)
				} else {
					latencies[c] = append(latencies[c], time.Since(began))
				}
			}
		}(c)
	}
	if o.total == 0 {
		time.Sleep(time.Duration(o.warmupSeconds * float64(time.Second)))
		atomic.StoreInt32(&measuring, 1)
		started = time.Now()
		time.Sleep(time.Duration(o.seconds * float64(time.Second)))
		atomic.StoreInt32(&measuring, 0)
	}
	elapsed := time.Since(started)
	if o.total > 0 {
		group.Wait() // the clients stop after `total` operations
		elapsed = time.Since(started)
	}
	atomic.StoreInt32(&stop, 1)
	group.Wait()
	sent := atomic.LoadInt64(&counter) + 1
	if o.total > 0 && sent > int64(o.total) {
		sent = int64(o.total)
	}
	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return result{
		Op: o.op, Clients: o.clients, Conns: len(clients), Seconds: elapsed.Seconds(),
		Ops: uint64(len(all)), OpsPerSecond: float64(len(all)) / elapsed.Seconds(),
		P50Ms: percentileMs(all, 50), P99Ms: percentileMs(all, 99),
		Errors: errs.count, FirstError: errs.first, OpsAll: uint64(sent) + uint64(seeded),
	}, nil
}

func percentileMs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(sorted)))
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return float64(sorted[i]) / float64(time.Millisecond)
}
