/// The BPE model stage: turns the UTF-8 bytes of one pre-tokenized word into token ids by applying the
/// merge rules by rank (lowest rank first, leftmost first among equal ranks — Hugging Face's order).
struct BPEModel {
    struct Merge {
        var rank: Int32
        var result: Int32
    }

    /// id → token string (byte-level form).
    let tokens: [String]
    /// token string → id.
    let vocabulary: [String: Int]
    /// (left id << 32 | right id) → rank and merged id.
    let merges: [UInt64: Merge]
    /// Id of the single-character token of each byte, or -1 if the vocabulary lacks it.
    let byteTokenIds: [Int32]
    /// Emitted for bytes without a token when set; otherwise such bytes are dropped (HF behaviour).
    let unknownTokenId: Int?
    /// Llama-3 style: a word that is itself a token is emitted directly, without merging.
    let ignoreMerges: Bool

    /// - Parameter source: used in error messages (file path or a description).
    init(tokens: [String], merges: [(String, String)], unknownTokenId: Int?, ignoreMerges: Bool,
         source: String) throws {
        self.tokens = tokens
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(tokens.count)
        for (id, t) in tokens.enumerated() where vocabulary[t] == nil { vocabulary[t] = id }
        self.vocabulary = vocabulary

        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let ia = vocabulary[a], let ib = vocabulary[b], let ir = vocabulary[a + b] else {
                throw TokenizerError.invalidMerge(file: source, index: rank, merge: "\(a) \(b)")
            }
            let key = UInt64(UInt32(ia)) << 32 | UInt64(UInt32(ib))
            if table[key] == nil { table[key] = Merge(rank: Int32(rank), result: Int32(ir)) }
        }
        self.merges = table
        byteTokenIds = ByteLevel.scalarForByte.map { s in Int32(vocabulary[String(Character(s))] ?? -1) }
        self.unknownTokenId = unknownTokenId
        self.ignoreMerges = ignoreMerges
    }

    /// Appends the ids of the word whose raw UTF-8 bytes are `bytes`.
    func encodeWord(_ bytes: [UInt8], into out: inout [Int]) {
        if ignoreMerges, let id = vocabulary[ByteLevel.encode(bytes)] {
            out.append(id)
            return
        }
        var symbols: [Int32] = []
        symbols.reserveCapacity(bytes.count)
        for b in bytes {
            let id = byteTokenIds[Int(b)]
            if id >= 0 {
                symbols.append(id)
            } else if let unk = unknownTokenId {
                symbols.append(Int32(unk))
            }
        }
        if symbols.count < 2 {
            for s in symbols { out.append(Int(s)) }
            return
        }
        if symbols.count <= 24 {
            mergeSmall(&symbols)
            for s in symbols { out.append(Int(s)) }
        } else {
            mergeLarge(symbols, into: &out)
        }
    }

    @inline(__always)
    private func lookup(_ a: Int32, _ b: Int32) -> Merge? {
        merges[UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))]
    }

    /// Quadratic version for short words: repeatedly merge the lowest-ranked (then leftmost) pair.
    private func mergeSmall(_ symbols: inout [Int32]) {
        var ranks = [Int32](repeating: .max, count: symbols.count - 1)
        var results = [Int32](repeating: -1, count: symbols.count - 1)
        for i in 0..<(symbols.count - 1) {
            if let m = lookup(symbols[i], symbols[i + 1]) { ranks[i] = m.rank; results[i] = m.result }
        }
        while !ranks.isEmpty {
            var best = 0
            var bestRank = ranks[0]
            for i in 1..<ranks.count where ranks[i] < bestRank { best = i; bestRank = ranks[i] }
            if bestRank == .max { break }
            symbols[best] = results[best]
            symbols.remove(at: best + 1)
            ranks.remove(at: best)
            results.remove(at: best)
            if best > 0 {
                if let m = lookup(symbols[best - 1], symbols[best]) {
                    ranks[best - 1] = m.rank; results[best - 1] = m.result
                } else {
                    ranks[best - 1] = .max; results[best - 1] = -1
                }
            }
            if best < ranks.count {
                if let m = lookup(symbols[best], symbols[best + 1]) {
                    ranks[best] = m.rank; results[best] = m.result
                } else {
                    ranks[best] = .max; results[best] = -1
                }
            }
        }
    }

    /// Heap version for long words: symbols in a doubly linked list, candidate pairs in a min-heap
    /// ordered by (rank, position); stale candidates are skipped when popped.
    private func mergeLarge(_ initial: [Int32], into out: inout [Int]) {
        let n = initial.count
        var ids = initial
        var prev = (0..<n).map { $0 - 1 }
        var next = (0..<n).map { $0 + 1 < n ? $0 + 1 : -1 }
        var alive = [Bool](repeating: true, count: n)
        var heap = PairHeap()
        for i in 0..<(n - 1) {
            if let m = lookup(ids[i], ids[i + 1]) { heap.push(.init(rank: m.rank, pos: Int32(i), result: m.result)) }
        }
        while let top = heap.pop() {
            let p = Int(top.pos)
            guard alive[p], next[p] >= 0 else { continue }
            let q = next[p]
            guard let m = lookup(ids[p], ids[q]), m.result == top.result else { continue }
            ids[p] = m.result
            alive[q] = false
            let r = next[q]
            next[p] = r
            if r >= 0 { prev[r] = p }
            if prev[p] >= 0, let m = lookup(ids[prev[p]], ids[p]) {
                heap.push(.init(rank: m.rank, pos: Int32(prev[p]), result: m.result))
            }
            if r >= 0, let m = lookup(ids[p], ids[r]) {
                heap.push(.init(rank: m.rank, pos: Int32(p), result: m.result))
            }
        }
        var i = 0
        while i >= 0 {
            out.append(Int(ids[i]))
            i = next[i]
        }
    }
}

/// Binary min-heap of merge candidates ordered by (rank, pos).
private struct PairHeap {
    struct Item {
        var rank: Int32
        var pos: Int32
        var result: Int32
        @inline(__always) static func < (a: Item, b: Item) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos
        }
    }

    private var items: [Item] = []

    mutating func push(_ item: Item) {
        items.append(item)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Item? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return first }
        items[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && items[l] < items[m] { m = l }
            if r < items.count && items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return first
    }
}
