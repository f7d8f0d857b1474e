// Tensor: a float32 array with a shape, contiguous in row-major order, and (optionally) a place in the
// autodiff graph. Views (reshape, leading-axis slices) share storage.
//
// Gradients: a tensor `requiresGrad` when it is a trainable parameter or was computed from one. Every op
// skips the gradient of inputs that do not require it, so a frozen base model never allocates or computes
// weight gradients; only the activations on the path from a trainable tensor to the loss get gradients.

/// Owned (or borrowed) float32 memory. Reference type: several tensors may view one storage.
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// Keeps borrowed memory (e.g. a memory-mapped file) alive; nil when the storage owns its memory.
    private let owner: AnyObject?

    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative element count \(count)")
        _ = Storage.allocatorConfigured
        self.count = count
        self.pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: max(count, 1)) }
        self.owner = nil
    }

    /// Wraps memory owned by `owner` (which must keep it valid and writable for the storage's lifetime).
    public init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
    }

    deinit { if owner == nil { pointer.deallocate() } }

    /// Activations are allocated and freed at every op. By default glibc serves blocks above 128 KiB with fresh
    /// mmaps, so every large activation page-faults on first touch; keeping freed blocks in the heap (no mmap,
    /// no trimming) turns that into reuse of warm memory.
    static let allocatorConfigured: Bool = {
        #if os(Linux)
        mallopt(M_MMAP_THRESHOLD, 1 << 30)
        mallopt(M_TRIM_THRESHOLD, 1 << 30)
        #endif
        return true
    }()
}

public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let storage: Storage
    /// Element offset of this tensor inside its storage (non-zero for slices).
    public let offset: Int
    /// Number of elements.
    public let count: Int

    /// True for trainable parameters and for every tensor computed from one.
    public var requiresGrad: Bool
    /// d(loss)/d(self), allocated on first accumulation during `backward()`.
    public internal(set) var grad: Tensor?
    /// Name for error messages, checkpoints and parameter lists.
    public var name: String?

    // Autodiff: the op that made this tensor.
    var parents: [Tensor] = []
    var backwardFn: ((Tensor) -> Void)?

    public init(shape: [Int], storage: Storage, offset: Int = 0, requiresGrad: Bool = false) {
        let count = shape.reduce(1, *)
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(offset + count <= storage.count || count == 0,
                     "view of \(count) elements at offset \(offset) exceeds storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.offset = offset
        self.count = count
        self.requiresGrad = requiresGrad
    }

    /// A zero-filled tensor.
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(shape: shape, storage: Storage(count: shape.reduce(1, *)), requiresGrad: requiresGrad)
    }

    /// A tensor filled from `values` (row-major); `values.count` must equal the shape's element count.
    public convenience init(shape: [Int], values: [Float], requiresGrad: Bool = false) {
        let n = shape.reduce(1, *)
        precondition(values.count == n, "shape \(shape) needs \(n) values, got \(values.count)")
        self.init(shape: shape, storage: Storage(count: n, zeroed: false), requiresGrad: requiresGrad)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: n) }
    }

    /// An uninitialised tensor: every element must be written before it is read.
    public static func empty(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: Storage(count: shape.reduce(1, *), zeroed: false))
    }

    /// Pointer to the first element.
    @inlinable public var data: UnsafeMutablePointer<Float> { storage.pointer + offset }
    public var rank: Int { shape.count }
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }
    /// A copy of the elements.
    public var values: [Float] { Array(buffer) }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// A deep copy, detached from the graph.
    public func copy() -> Tensor {
        let t = Tensor.empty(shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// The same memory, outside the graph (no gradient flows through it).
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage, offset: offset) }

    public subscript(flat index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    /// Drops the gradient (before the next step's backward).
    public func zeroGrad() { grad = nil }

    /// Size of axis `axis` (negative counts from the end).
    public func size(_ axis: Int) -> Int { shape[axis < 0 ? shape.count + axis : axis] }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = values.prefix(6).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor\(name.map { " \($0)" } ?? "")\(shape)[\(head)\(count > 6 ? ", …" : "")]"
    }
}

import CBLAS
import Foundation
