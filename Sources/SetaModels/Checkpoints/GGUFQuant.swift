// Dequantisation of ggml tensor data to float32 (block layouts as in ggml-common.h):
//   F32, F16, BF16  — one element per 4 / 2 / 2 bytes.
//   Q8_0 (34 B / 32): f16 d, 32 × int8 q            → q·d
//   Q4_0 (18 B / 32): f16 d, 16 bytes of nibbles    → (nibble − 8)·d; low nibbles are elements 0…15, high 16…31
//   Q4_1 (20 B / 32): f16 d, f16 m, 16 bytes        → nibble·d + m
// Large tensors are split into chunks of whole blocks and converted on all cores.
import Foundation

/// Float16 bits → Float. Uses the hardware conversion (F16C on x86-64-v3, native on arm64).
@inline(__always) func halfToFloat(_ bits: UInt16) -> Float {
    Float(Float16(bitPattern: bits))
}

/// BFloat16 bits → Float: the bits are the high half of a float32.
@inline(__always) func bfloat16ToFloat(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

enum GGUFQuant {
    /// Converts `count` elements of `type` at `src` into `dst`. The caller has checked that `src` holds the
    /// whole tensor and that `count` is a multiple of the block size.
    static func dequantize(_ type: GGMLType, from src: UnsafeRawPointer, to dst: UnsafeMutablePointer<Float>, count: Int) {
        guard let (perBlock, blockBytes) = type.blockLayout, count > 0 else { return }
        let blocks = count / perBlock
        // ~256K elements per chunk: big enough to amortise dispatch, small enough to balance 2–16 cores.
        let blocksPerChunk = max(1, (1 << 18) / perBlock)
        let chunks = (blocks + blocksPerChunk - 1) / blocksPerChunk
        if chunks <= 1 {
            convert(type, src, dst, blocks: blocks)
        } else {
            let srcBits = UInt(bitPattern: src), dstBits = UInt(bitPattern: dst)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let b0 = chunk * blocksPerChunk, b1 = min(blocks, b0 + blocksPerChunk)
                convert(type, UnsafeRawPointer(bitPattern: srcBits)! + b0 * blockBytes,
                        UnsafeMutablePointer<Float>(bitPattern: dstBits)! + b0 * perBlock, blocks: b1 - b0)
            }
        }
    }

    /// Converts `blocks` whole blocks.
    private static func convert(_ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
        switch type {
        case .f32:
            UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: blocks * 4)
        case .f16:
            for i in 0 ..< blocks {
                dst[i] = halfToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        case .bf16:
            for i in 0 ..< blocks {
                dst[i] = bfloat16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        case .q8_0:
            for b in 0 ..< blocks {
                let block = src + b * 34, out = dst + b * 32
                let d = halfToFloat(block.loadUnaligned(as: UInt16.self))
                let qs = (block + 2).assumingMemoryBound(to: Int8.self)
                for k in 0 ..< 32 { out[k] = Float(qs[k]) * d }
            }
        case .q4_0:
            for b in 0 ..< blocks {
                let block = src + b * 18, out = dst + b * 32
                let d = halfToFloat(block.loadUnaligned(as: UInt16.self))
                let qs = (block + 2).assumingMemoryBound(to: UInt8.self)
                for k in 0 ..< 16 {
                    let q = qs[k]
                    out[k] = Float(Int32(q & 0x0F) - 8) * d
                    out[k + 16] = Float(Int32(q >> 4) - 8) * d
                }
            }
        case .q4_1:
            for b in 0 ..< blocks {
                let block = src + b * 20, out = dst + b * 32
                let d = halfToFloat(block.loadUnaligned(as: UInt16.self))
                let m = halfToFloat(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
                let qs = (block + 4).assumingMemoryBound(to: UInt8.self)
                for k in 0 ..< 16 {
                    let q = qs[k]
                    out[k] = Float(q & 0x0F) * d + m
                    out[k + 16] = Float(q >> 4) * d + m
                }
            }
        default:
            preconditionFailure("GGUFQuant.convert called with unsupported type \(type)")
        }
    }
}
