//go:build linux

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc (100 on every
// Linux platform Go supports).
const clockTicks = 100

// cpuSample is a point-in-time reading of CPU time, in clock ticks.
type cpuSample struct {
	busy, total int64 // whole machine, from /proc/stat
	server      int64 // -pid process (0 if none)
	self        int64 // this process
}

// cpuUse is CPU used over an interval, in cores (1.0 = one core busy).
type cpuUse struct {
	Machine float64 `json:"machine"`
	Server  float64 `json:"server"`
	Loadgen float64 `json:"loadgen"`
	Other   float64 `json:"other"`
	Cores   int     `json:"cores"`
}

// readCPU samples machine, server and own CPU time.
func readCPU(pid int) (cpuSample, error) {
	var c cpuSample
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return c, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return c, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return c, fmt.Errorf("/proc/stat: %w", err)
		}
		if i >= 8 { // guest time is already counted in user time
			break
		}
		c.total += n
		if i != 3 && i != 4 { // idle, iowait
			c.busy += n
		}
	}
	if c.self, err = procCPU(os.Getpid()); err != nil {
		return c, err
	}
	if pid > 0 {
		if c.server, err = procCPU(pid); err != nil {
			return c, err
		}
	}
	return c, nil
}

// procCPU returns utime+stime of process pid in clock ticks.
func procCPU(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; fields resume after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	// After ')', field 0 is state (stat field 3); utime and stime are stat
	// fields 14 and 15.
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	return u + st, nil
}

// cpuBetween returns the CPU used between a and b over seconds of wall time.
func cpuBetween(a, b cpuSample, seconds float64, cores int) cpuUse {
	if seconds <= 0 {
		return cpuUse{}
	}
	per := func(d int64) float64 { return round2(float64(d) / clockTicks / seconds) }
	u := cpuUse{
		Server:  per(b.server - a.server),
		Loadgen: per(b.self - a.self),
		Cores:   cores,
	}
	if dt := b.total - a.total; dt > 0 {
		u.Machine = round2(float64(b.busy-a.busy) / float64(dt) * float64(cores))
	}
	u.Other = round2(max(u.Machine-u.Server-u.Loadgen, 0))
	return u
}

// round2 rounds v to two decimal places.
func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
