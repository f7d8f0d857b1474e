// Data parallelism as Horovod does it: every rank (process) holds the whole model and the adapters, computes
// the gradient of its shard of each batch, and the ranks sum their gradients (all-reduce) before an identical
// optimiser step. A Communicator is the handful of collective operations this needs; `SingleProcess` is the
// one-rank case (every operation a no-op), `MPICommunicator` the Open MPI one (MPICommunicator.swift).
import Foundation

public protocol Communicator: AnyObject {
    /// This process's index, 0..<size. Rank 0 alone writes files.
    var rank: Int { get }
    /// Number of ranks in the job.
    var size: Int { get }
    /// In-place element-wise sums over all ranks; every rank receives the same values.
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>)
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>)
    /// Every rank's bytes, in rank order.
    func allGather(_ bytes: [UInt8]) -> [[UInt8]]
    func barrier()
    /// Seconds spent in all-reduce calls so far (0 for one process).
    var allReduceSeconds: Double { get }
}

/// One process: every collective returns its input.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) {}
    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) {}
    public func allGather(_ bytes: [UInt8]) -> [[UInt8]] { [bytes] }
    public func barrier() {}
    public var allReduceSeconds: Double { 0 }
}

extension Communicator {
    public var isRoot: Bool { rank == 0 }
    public var isDistributed: Bool { size > 1 }

    /// Sums of `values` over all ranks (float64).
    public func allReduceSum(_ values: [Double]) -> [Double] {
        var out = values
        out.withUnsafeMutableBufferPointer { allReduceSum($0) }
        return out
    }

    /// True on every rank when `flag` is true on any rank (e.g. a stop request seen by one process).
    public func any(_ flag: Bool) -> Bool {
        size == 1 ? flag : allReduceSum([flag ? 1 : 0])[0] > 0
    }

    /// Every rank's value, in rank order, through JSON.
    public func allGather<T: Codable>(_ value: T) throws -> [T] {
        let gathered = allGather(Array(try JSONEncoder().encode(value)))
        return try gathered.map { try JSONDecoder().decode(T.self, from: Data($0)) }
    }

    /// The items of `items` this rank handles: indices rank, rank + size, rank + 2·size, …
    public func shard<T>(_ items: [T]) -> [T] {
        size == 1 ? items : items.indices.filter { $0 % size == rank }.map { items[$0] }
    }

    /// The indices of work items of these costs that this rank handles, ascending: the items are dealt out
    /// largest first, each to the rank with the least work so far (ties: the lower index, the lower rank), so
    /// ranks finish together — a pure function of the costs, the same on every rank.
    public func balancedShare(costs: [Int]) -> [Int] {
        size == 1 ? Array(costs.indices) : balancedAssignment(costs: costs, ranks: size)[rank]
    }
}

/// Longest-processing-time-first assignment of items (by cost) to `ranks` bins; each bin's indices ascending.
public func balancedAssignment(costs: [Int], ranks: Int) -> [[Int]] {
    var bins = [[Int]](repeating: [], count: ranks), load = [Int](repeating: 0, count: ranks)
    for i in costs.indices.sorted(by: { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }) {
        let r = load.indices.min { load[$0] != load[$1] ? load[$0] < load[$1] : $0 < $1 }!
        bins[r].append(i); load[r] += costs[i]
    }
    return bins.map { $0.sorted() }
}
