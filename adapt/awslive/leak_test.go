package awslive

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// goroutinesSettle waits until the number of goroutines is back to want.
func goroutinesSettle(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines remain, want %d:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Not parallel: it counts the process's goroutines.
func TestScanLeavesNoGoroutineBehind(t *testing.T) {
	before := runtime.NumGoroutine()
	f := newFake(me)
	for _, r := range []string{"us-east-1", "eu-west-1", "ap-south-1"} {
		f.regions[r] = "opt-in-not-required"
		for k := range 5 {
			key := f.addKey(r, me, fmt.Sprintf("k%d", k), kmstypes.KeyManagerTypeCustomer, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled, fmt.Sprintf("alias/k%d", k))
			if k%2 == 0 {
				f.denyDescribeKey[key] = true
			}
			for i := range 30 {
				f.addInstance(r, fmt.Sprintf("i-%d-%d", k, i), key)
			}
		}
	}
	f.failDMS["ap-south-1"] = apiError("AccessDeniedFault")
	if _, err := Scan(context.Background(), f.clients(), Options{}); err != nil {
		t.Fatal(err)
	}
	goroutinesSettle(t, before)

	// A scan cancelled while its DescribeKey calls are in flight.
	ctx, cancel := context.WithCancel(context.Background())
	f.beforeDescribeKey = func(ctx context.Context) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	if _, err := Scan(ctx, f.clients(), Options{}); err == nil {
		t.Fatal("a cancelled scan returned no error")
	}
	goroutinesSettle(t, before)
}
