// The watch workload: `watchers` watchers on one prefix (spread over the connections), and
// writes to that prefix at a fixed rate. Each value carries the time it was sent; the figure is
// the delay from a put being sent to its event reaching each watcher (delivery latency).

package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
)

const watchPrefix = "/benchwatch/"

// watchWriters is how many puts may be in flight at once while keeping the write rate.
const watchWriters = 32

// drainTimeout bounds the wait, after the last measured write, for its events to arrive.
const drainTimeout = 20 * time.Second

type watcherState struct {
	latencies histogram
	delivered uint64 // atomic: measured events received
}

func runWatch(o options, clients []*clientv3.Client) (result, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	states := make([]*watcherState, o.watchers)
	var errs errorLog
	var receivers sync.WaitGroup
	for w := 0; w < o.watchers; w++ {
		states[w] = &watcherState{}
		channel := clients[w%len(clients)].Watch(ctx, watchPrefix, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
		created, ok := <-channel
		if !ok || !created.Created {
			return result{}, fmt.Errorf("watcher %d was not created: %v", w, created.Err())
		}
		receivers.Add(1)
		go func(state *watcherState) {
			defer receivers.Done()
			for response := range channel {
				if err := response.Err(); err != nil {
					if ctx.Err() == nil {
						errs.add(err)
					}
					continue
				}
				now := time.Now().UnixNano()
				for _, event := range response.Events {
					value := event.Kv.Value
					if len(value) < 9 || value[8] != 1 {
						continue
					}
					sent := int64(binary.BigEndian.Uint64(value))
					state.latencies.record(uint64((now - sent) / 1000))
					atomic.AddUint64(&state.delivered, 1)
				}
			}
		}(states[w])
	}

	valueBytes := o.valueBytes
	if valueBytes < 9 {
		valueBytes = 9
	}
	var measured int32
	var writesMeasured, slot int64
	slot = -1
	interval := time.Second / time.Duration(o.writesPerSecond)
	stopAt := time.Now().Add(time.Duration((o.warmupSeconds + o.seconds) * float64(time.Second)))
	began := time.Now()
	var writers sync.WaitGroup
	for w := 0; w < watchWriters; w++ {
		writers.Add(1)
		go func(w int) {
			defer writers.Done()
			kv := clients[w%len(clients)].KV
			for {
				n := atomic.AddInt64(&slot, 1)
				due := began.Add(time.Duration(n) * interval)
				if due.After(stopAt) || time.Now().After(stopAt) {
					return // a server that falls behind the rate loses the writes it could not take
				}
				time.Sleep(time.Until(due))
				value := make([]byte, valueBytes)
				binary.BigEndian.PutUint64(value, uint64(time.Now().UnixNano()))
				flag := atomic.LoadInt32(&measured)
				value[8] = byte(flag)
				_, err := kv.Put(ctx, fmt.Sprintf("%s%06d", watchPrefix, n%int64(o.keySpace)), string(value))
				if flag == 0 {
					continue
				}
				if err != nil {
					errs.add(err)
				} else {
					atomic.AddInt64(&writesMeasured, 1)
				}
			}
		}(w)
	}
	time.Sleep(time.Duration(o.warmupSeconds * float64(time.Second)))
	atomic.StoreInt32(&measured, 1)
	started := time.Now()
	writers.Wait()
	elapsed := time.Since(started)

	expected := uint64(atomic.LoadInt64(&writesMeasured)) * uint64(o.watchers)
	deadline := time.Now().Add(drainTimeout)
	delivered := uint64(0)
	for {
		delivered = 0
		for _, state := range states {
			delivered += atomic.LoadUint64(&state.delivered)
		}
		if delivered >= expected || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	receivers.Wait()
	var all histogram
	for _, state := range states {
		all.merge(&state.latencies)
	}
	if delivered < expected {
		errs.add(fmt.Errorf("%d of %d events not delivered within %s", expected-delivered, expected, drainTimeout))
	}
	return result{
		Op: o.op, Clients: o.watchers, Conns: len(clients), Seconds: elapsed.Seconds(),
		Ops: uint64(writesMeasured), OpsPerSecond: float64(writesMeasured) / elapsed.Seconds(),
		P50Ms: all.percentileMs(50), P99Ms: all.percentileMs(99),
		Errors: errs.count, FirstError: errs.first,
		EventsExpected: expected, EventsDelivered: delivered, OpsAll: uint64(atomic.LoadInt64(&slot) + 1),
	}, nil
}
