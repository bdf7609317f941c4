import EventLoop
import Synchronization
import Testing

@Suite("Mailbox")
struct MailboxTests {
    @Test func doorbellRingsOnlyWhenTheQueueBecomesNonEmpty() {
        let rings = Counter()
        let box = Mailbox<Int>(doorbell: { rings.increment() })
        box.post(1)
        box.post(2)
        box.post(3)
        #expect(rings.current == 1)
        var batch = ContiguousArray<Int>()
        box.take(into: &batch)
        #expect(Array(batch) == [1, 2, 3])
        batch.removeAll(keepingCapacity: true)
        box.take(into: &batch)
        #expect(batch.isEmpty)
        box.post(4)
        #expect(rings.current == 2)
        box.take(into: &batch)
        #expect(Array(batch) == [4])
    }

    @Test func postQuietlyNeverRings() {
        let rings = Counter()
        let box = Mailbox<String>(doorbell: { rings.increment() })
        box.postQuietly("a")
        #expect(rings.current == 0)
        box.post("b")                       // queue was not empty: no ring either
        #expect(rings.current == 0)
        var batch = ContiguousArray<String>()
        box.take(into: &batch)
        #expect(Array(batch) == ["a", "b"])
        batch.removeAll(keepingCapacity: true)
        box.post("c")
        #expect(rings.current == 1)
    }

    /// 8 producer threads post 10 000 messages in total while a consumer thread takes batches:
    /// the consumer gets all of them, each producer's in its own order, and the doorbell rang
    /// exactly once per non-empty batch (once per empty → non-empty transition).
    @Test func multiProducerOrderAndDoorbellCount() {
        let producers = 8
        let perProducer = 1250
        let rings = Counter()
        let box = Mailbox<UInt32>(doorbell: { rings.increment() })
        let done = Atomic<Int>(0)
        let barrier = StartBarrier(parties: producers + 1)
        let received = Mutex<(messages: [UInt32], nonEmptyBatches: Int)>(([], 0))

        let consumer = LoopThread.spawn(name: "mbox-consumer") {
            barrier.arriveAndWait()
            var batch = ContiguousArray<UInt32>()
            var all: [UInt32] = []
            var nonEmpty = 0
            while true {
                let finished = done.load(ordering: .acquiring) == producers
                box.take(into: &batch)
                if !batch.isEmpty { nonEmpty += 1 }
                all.append(contentsOf: batch)
                batch.removeAll(keepingCapacity: true)
                if finished { break }
            }
            received.withLock { $0 = (all, nonEmpty) }
        }
        var threads: [LoopThread] = []
        for p in 0..<producers {
            threads.append(LoopThread.spawn(name: "mbox-p\(p)") {
                barrier.arriveAndWait()
                for i in 0..<perProducer { box.post(UInt32(p << 16 | i)) }
                done.wrappingAdd(1, ordering: .releasing)
            })
        }
        for t in threads { t.join() }
        consumer.join()

        let (messages, nonEmptyBatches) = received.withLock { $0 }
        #expect(messages.count == producers * perProducer)
        var nextExpected = Array(repeating: 0, count: producers)
        for m in messages {
            let p = Int(m >> 16), i = Int(m & 0xFFFF)
            #expect(i == nextExpected[p], "producer \(p) out of order")
            nextExpected[p] = i + 1
        }
        #expect(nextExpected == Array(repeating: perProducer, count: producers))
        #expect(rings.current == nonEmptyBatches)
        #expect(rings.current >= 1)
    }
}
