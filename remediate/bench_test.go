package remediate_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/remediate"
)

// bigEstate has n failing instances, each with two tasks (one running), in
// two regions.
func bigEstate(n int) awsemu.Estate {
	e := awsemu.Estate{DefaultAccount: account}
	for _, region := range []string{east, west} {
		e.Endpoints = append(e.Endpoints,
			awsemu.EstateEndpoint{ID: "src", Region: region, Type: "source", Engine: "mysql"},
			awsemu.EstateEndpoint{ID: "tgt", Region: region, Type: "target", Engine: "postgres"})
	}
	for i := 0; i < n; i++ {
		region := []string{east, west}[i%2]
		id := fmt.Sprintf("ri-%03d", i)
		e.ReplicationInstances = append(e.ReplicationInstances, awsemu.EstateReplicationInstance{
			ID: id, Region: region, Class: "dms.t3.medium", AllocatedStorage: 50, EngineVersion: "3.5.2"})
		e.ReplicationTasks = append(e.ReplicationTasks,
			awsemu.EstateReplicationTask{ID: id + "-cdc", Region: region, Instance: id, Source: "src", Target: "tgt", Status: "running"},
			awsemu.EstateReplicationTask{ID: id + "-full", Region: region, Instance: id, Source: "src", Target: "tgt", Status: "stopped"})
	}
	return e
}

// BenchmarkPlan measures audit + describe + plan for 100 failing instances
// (200 tasks) in two regions on the emulator.
func BenchmarkPlan(b *testing.B) {
	e := newEnv(b, bigEstate(100))
	for b.Loop() {
		if _, err := e.plan(b, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply measures a full apply (keys, 100 replacements, 200 task
// moves, deletes, renames: 1002 steps) on the emulator with immediate
// status changes: the engine's own cost, journal fsyncs included.
func BenchmarkApply(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, bigEstate(100))
		p, err := e.plan(b, nil)
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(b.TempDir(), "j")
		j, err := remediate.CreateJournal(path, p, time.Now)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := e.applier(j).Apply(b.Context()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		j.Close()
		b.ReportMetric(float64(len(p.Steps)), "steps/op")
		b.StartTimer()
	}
}
