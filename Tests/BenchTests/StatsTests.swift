import BenchCore
import Histogram
import Testing

@Suite struct HistogramTests {
    /// 1…1000 ns once each: below 2048 a three-digit HdrHistogram is exact, so the
    /// percentiles are the hand-computed order statistics.
    @Test func percentilesOfOneToThousand() {
        var h = LatencySummary.makeHistogram()
        for v in 1...1000 as ClosedRange<UInt64> { h.record(v) }
        let s = LatencySummary(h)
        #expect(s.count == 1000)
        #expect(s.p50 == 0.5)  // 500 ns
        #expect(s.p90 == 0.9)
        #expect(s.p99 == 0.99)
        #expect(s.p999 == 0.999)
        #expect(s.max == 1.0)
        #expect(s.mean == 0.5005)
    }

    /// Larger values within the histogram's 0.1 % precision: 1 ms … 100 ms.
    @Test func percentilesWithinPrecision() {
        var h = LatencySummary.makeHistogram()
        for ms in 1...100 as ClosedRange<UInt64> { h.record(ms * 1_000_000) }
        let s = LatencySummary(h)
        #expect(abs(s.p50 - 50_000) <= 50)
        #expect(abs(s.p99 - 99_000) <= 99)
        #expect(abs(s.max - 100_000) <= 100)
    }

    @Test func mergingWorkersAddsCounts() {
        var a = LatencySummary.makeHistogram(), b = LatencySummary.makeHistogram()
        for v in 1...500 as ClosedRange<UInt64> { a.record(v) }
        for v in 501...1000 as ClosedRange<UInt64> { b.record(v) }
        a.add(b)
        #expect(LatencySummary(a).p50 == 0.5)
        #expect(LatencySummary(LatencySummary.makeHistogram()).count == 0)
        #expect(LatencySummary.hgrm(a).contains("Percentile"))
    }

    /// A worker process hands its histogram over as text: the coordinator's copy has the
    /// same counts, and the same percentiles within the histogram's precision (each bucket
    /// travels as its representative value).
    @Test func encodeDecodeRoundTrip() {
        var a = LatencySummary.makeHistogram()
        for v in [1, 5, 5, 1_000, 250_000, 3_000_000_000] as [UInt64] { a.record(v) }
        var b = LatencySummary.makeHistogram()
        #expect(LatencySummary.decode(Substring(LatencySummary.encode(a)), into: &b))
        #expect(b.totalCount == a.totalCount)
        for p in [0.0, 10, 50, 60, 90, 100] {
            #expect(a.valuesAreEquivalent(a.valueAtPercentile(p), b.valueAtPercentile(p)))
        }
        var c = LatencySummary.makeHistogram()
        #expect(!LatencySummary.decode("12:3,oops", into: &c))
        #expect(c.totalCount == 0)
        #expect(LatencySummary.decode("", into: &c) && c.totalCount == 0)
    }
}

@Suite struct RunVerdictTests {
    @Test func validWhenNothingSkippedAndNoProcessSaturated() {
        let v = RunVerdict(skippedSends: 0, generatorCPU: [0.5, 0.89], loopThreads: 1, busyLimit: 0.9)
        #expect(v.valid && v.problems.isEmpty)
        // Two loop threads: 1.7 cores is 85 % of the process's capacity.
        #expect(RunVerdict(skippedSends: 0, generatorCPU: [1.7], loopThreads: 2, busyLimit: 0.9).valid)
    }

    @Test func skippedSendsOrSaturatedGeneratorInvalidate() {
        let skipped = RunVerdict(skippedSends: 3, generatorCPU: [0.2], loopThreads: 1, busyLimit: 0.9)
        #expect(!skipped.valid)
        #expect(skipped.problems == ["the load generator fell behind its schedule and skipped 3 sends"])
        let busy = RunVerdict(skippedSends: 0, generatorCPU: [0.4, 0.95], loopThreads: 1, busyLimit: 0.9)
        #expect(!busy.valid)
        #expect(busy.problems.count == 1 && busy.problems[0].hasPrefix("load-generator process 1 used 95 % CPU"))
    }
}

@Suite struct LossAccountingTests {
    @Test func expectedDeliveriesPerMessage() {
        // chatd: never back to the sender.
        #expect(LossAccounting.expectedDeliveries(members: 100, sendersInRoom: 1, senderReceives: true) == 99)
        #expect(LossAccounting.expectedDeliveries(members: 10, sendersInRoom: 3, senderReceives: true) == 9)
        // Redis: publishers are not subscribers.
        #expect(LossAccounting.expectedDeliveries(members: 100, sendersInRoom: 1, senderReceives: false) == 99)
        #expect(LossAccounting.expectedDeliveries(members: 10, sendersInRoom: 3, senderReceives: false) == 7)
        #expect(LossAccounting.expectedDeliveries(members: 1, sendersInRoom: 1, senderReceives: true) == 0)
    }

    @Test func lossAndRate() {
        var l = LossAccounting()
        for _ in 0..<3 { l.recordSend(expectedDeliveries: 99) }
        l.received = 290
        #expect(l.sent == 3)
        #expect(l.expected == 297)
        #expect(l.lost == 7)
        #expect(l.surplus == 0)
        #expect(l.lossRate == 7.0 / 297.0)
        var m = LossAccounting()
        m.recordSend(expectedDeliveries: 2)
        m.received = 3
        m.duplicates = 1
        m.outOfOrder = 1
        l.add(m)
        #expect(l.expected == 299 && l.received == 293 && l.duplicates == 1 && l.unique == 292 && l.lost == 7)
        #expect(l.outOfOrder == 1)
        #expect(m.surplus == 0 && m.lost == 0 && !m.isExact)
        m.duplicates = 0
        #expect(m.surplus == 1)
        #expect(LossAccounting().lossRate == 0)
    }

    @Test func roomPlan() {
        let p = RoomPlan(clients: 10, rooms: 3, senders: 4)
        #expect((0..<3).map(p.members(of:)) == [4, 3, 3])
        #expect((0..<3).map(p.senders(in:)) == [2, 1, 1])
        #expect(p.room(of: 7) == 1)
        #expect(p.isSender(3) && !p.isSender(4))
        #expect(p.expectedDeliveries(room: 0, senderReceives: true) == 3)
        #expect(p.expectedDeliveries(room: 0, senderReceives: false) == 2)
        // A lone sender in its room receives nothing; two senders receive each other.
        #expect(!RoomPlan(clients: 100, rooms: 1, senders: 1).mustReceive(0, senderReceives: true))
        #expect(p.mustReceive(0, senderReceives: true))
        #expect(!p.mustReceive(0, senderReceives: false))
        #expect(p.mustReceive(9, senderReceives: false))
    }
}

@Suite struct ProcAndFormatTests {
    @Test func procStatWithSpacesInName() {
        let stat = "4242 (chat d) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 567 0 0 20 0 3 0 100 1000000 250 18446744073709551615"
        #expect(ProcessSample.cpuTicks(stat: stat) == 1801)
        #expect(ProcessSample.cpuTicks(stat: "garbage") == nil)
    }

    @Test func procStatus() {
        let status = "Name:\tchatd\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nThreads:\t3\n"
        #expect(ProcessSample.statusKB(status, key: "VmRSS") == 10240)
        #expect(ProcessSample.statusKB(status, key: "VmHWM") == 20480)
        #expect(ProcessSample.statusKB(status, key: "VmSwap") == nil)
    }

    @Test func ratiosAndFixed() {
        #expect(formatRatio(250, baseline: 100) == "2.50×")
        #expect(formatRatio(1234, baseline: 100) == "12.3×")
        #expect(formatRatio(50_000, baseline: 100) == "500×")
        #expect(formatRatio(1, baseline: 0) == "–")
        #expect(fixed(3.14159, 2) == "3.14")
        #expect(fixed(-0.5, 1) == "-0.5")
        #expect(fixed(2.0, 0) == "2")
    }

    @Test func jsonObject() {
        var o = JSONObject()
        o.set("a", 1)
        o.set("b", "x\"y\n")
        o.set("c", 0.25, digits: 2)
        o.setNull("d")
        #expect(o.rendered == #"{"a": 1, "b": "x\"y\n", "c": 0.25, "d": null}"#)
    }
}
