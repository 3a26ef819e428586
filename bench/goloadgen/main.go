// goloadgen: a load generator for etcd's v3 API built on etcd's own Go client (clientv3, the
// client etcd's benchmark tool uses), so that on a small machine the benchmark measures the
// server rather than itself. It keeps `clients` requests in flight over `conns` gRPC
// connections spread over the endpoints and prints one JSON object: throughput, latency
// percentiles, errors, and its own CPU time. `-stub` serves a no-op KV instead (see stub.go).
//
// Built offline from Debian's golang-etcd-server-dev sources by bench/goLoadgen.ts:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o goloadgen ./bench/goloadgen

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.uber.org/zap"
)

type options struct {
	endpoints       []string
	op              string
	clients         int
	conns           int
	seconds         float64
	warmupSeconds   float64
	total           int
	keySpace        int
	valueBytes      int
	rangeKeys       int
	watchers        int
	writesPerSecond int
}

// result is what the load generator prints; bench/compare.ts reads it.
type result struct {
	Op           string  `json:"op"`
	Clients      int     `json:"clients"`
	Conns        int     `json:"conns"`
	Seconds      float64 `json:"seconds"`
	Ops          uint64  `json:"ops"`
	OpsPerSecond float64 `json:"opsPerSecond"`
	P50Ms        float64 `json:"p50Ms"`
	P99Ms        float64 `json:"p99Ms"`
	Errors       uint64  `json:"errors"`
	FirstError   string  `json:"firstError"`
	// OpsAll counts every request sent, warm-up and seeding writes included: the server's CPU
	// time over the whole run divided by it is its CPU per operation.
	OpsAll uint64 `json:"opsAll"`
	// CPUSeconds is the load generator's own user+system time over the whole run.
	CPUSeconds float64 `json:"cpuSeconds"`
	// Watch only: events expected (writes × watchers) and delivered in the measured window.
	EventsExpected  uint64 `json:"eventsExpected,omitempty"`
	EventsDelivered uint64 `json:"eventsDelivered,omitempty"`
}

func parse() (options, string) {
	var o options
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated host:port list")
	flag.StringVar(&o.op, "op", "put", "put | txn | range-linearizable | range-serializable | range-prefix | watch")
	flag.IntVar(&o.clients, "clients", 1, "requests kept in flight")
	flag.IntVar(&o.conns, "conns", 10, "gRPC connections (clientv3 clients)")
	flag.Float64Var(&o.seconds, "seconds", 10, "measured seconds")
	flag.Float64Var(&o.warmupSeconds, "warmup", 1, "seconds of load before measuring")
	flag.IntVar(&o.total, "total", 0, "run exactly this many operations instead of -seconds (no warm-up)")
	flag.IntVar(&o.keySpace, "keys", 10000, "distinct keys written or read")
	flag.IntVar(&o.valueBytes, "value-bytes", 256, "value size")
	flag.IntVar(&o.rangeKeys, "range-keys", 1000, "keys under the prefix range-prefix reads")
	flag.IntVar(&o.watchers, "watchers", 1000, "watchers on one prefix (watch)")
	flag.IntVar(&o.writesPerSecond, "rate", 1000, "writes per second to the watched prefix (watch)")
	stub := flag.String("stub", "", "serve a no-op KV on this address instead (e.g. 127.0.0.1:0)")
	flag.Parse()
	o.endpoints = strings.Split(*endpoints, ",")
	if o.conns < 1 {
		o.conns = 1
	}
	if o.conns > o.clients && o.op != "watch" {
		o.conns = o.clients
	}
	return o, *stub
}

func cpuSeconds() float64 {
	var usage syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &usage) != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano()).Seconds()
}

func connect(o options) ([]*clientv3.Client, error) {
	// Errors are counted and the first one reported; the client's own retry warnings would only
	// flood stderr.
	logConfig := zap.NewProductionConfig()
	logConfig.Level = zap.NewAtomicLevelAt(zap.ErrorLevel)
	clients := make([]*clientv3.Client, 0, o.conns)
	for i := 0; i < o.conns; i++ {
		// One endpoint per client: the connections spread over the members as etcd's benchmark does.
		endpoint := o.endpoints[i%len(o.endpoints)]
		client, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, LogConfig: &logConfig})
		if err != nil {
			return nil, fmt.Errorf("connect %s: %w", endpoint, err)
		}
		clients = append(clients, client)
	}
	return clients, nil
}

func main() {
	o, stub := parse()
	if stub != "" {
		if err := serveStub(stub); err != nil {
			fmt.Fprintf(os.Stderr, "goloadgen: %v\n", err)
			os.Exit(1)
		}
		return
	}
	clients, err := connect(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goloadgen: %v\n", err)
		os.Exit(1)
	}
	var r result
	if o.op == "watch" {
		r, err = runWatch(o, clients)
	} else {
		r, err = runUnary(o, clients)
	}
	for _, client := range clients {
		client.Close()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "goloadgen: %v\n", err)
		os.Exit(1)
	}
	r.CPUSeconds = cpuSeconds()
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}

// errorLog counts errors and keeps the first message.
type errorLog struct {
	count uint64
	once  sync.Once
	first string
}

func (e *errorLog) add(err error) {
	atomic.AddUint64(&e.count, 1)
	e.once.Do(func() { e.first = err.Error() })
}

func withTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}
