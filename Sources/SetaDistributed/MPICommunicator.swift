// The Open MPI communicator: MPI_COMM_WORLD of a job started by `mpirun -np N seta train ...`. Open MPI is
// loaded at run time (CMPIShim dlopens libmpi.so.40), and only when the process runs under mpirun: a plain
// `seta train` never touches it, and the package builds where MPI is not installed.
import CMPIShim
import Foundation

public enum DistributedError: Error, LocalizedError, Equatable {
    /// The environment says mpirun started us, but Open MPI could not be loaded or initialised.
    case unavailable(library: String, detail: String)
    public var errorDescription: String? {
        switch self {
        case let .unavailable(library, detail):
            return "started by mpirun (OMPI_COMM_WORLD_SIZE is set) but Open MPI could not be used: "
                + "\(library): \(detail). "
                + "Install it (Debian: apt-get install libopenmpi-dev openmpi-bin) or run without mpirun"
        }
    }
}

public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    /// Ranks of this job on this machine (they share its cores).
    public let localSize: Int
    /// Seconds spent inside all-reduce calls, and their number (for the all-reduce share of step time).
    public private(set) var allReduceSeconds = 0.0
    public private(set) var allReduceCalls = 0
    private var finalized = false

    /// The world of an mpirun job, or nil when the process was not started by mpirun (Open MPI's launcher sets
    /// OMPI_COMM_WORLD_SIZE in every rank's environment). Call once per process.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       library: String = "libmpi.so.40") throws -> MPICommunicator? {
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil else { return nil }
        var message = [CChar](repeating: 0, count: 512)
        if seta_mpi_load(library, &message, Int32(message.count)) != 0 {
            throw DistributedError.unavailable(library: library, detail: String(cString: message))
        }
        var rank: Int32 = 0, size: Int32 = 0
        let rc = seta_mpi_init(&rank, &size)
        guard rc == 0 else {
            throw DistributedError.unavailable(library: library, detail: "MPI_Init failed with code \(rc)")
        }
        let local = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? Int(size)
        return MPICommunicator(rank: Int(rank), size: Int(size), localSize: local)
    }

    private init(rank: Int, size: Int, localSize: Int) {
        self.rank = rank; self.size = size; self.localSize = localSize
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) {
        timed {
            chunks(values.count) { lo, n in
                check(seta_mpi_allreduce_sum_float(values.baseAddress! + lo, n), "MPI_Allreduce")
            }
        }
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) {
        timed {
            chunks(values.count) { lo, n in
                check(seta_mpi_allreduce_sum_double(values.baseAddress! + lo, n), "MPI_Allreduce")
            }
        }
    }

    public func allGather(_ bytes: [UInt8]) -> [[UInt8]] {
        var counts = [Int32](repeating: 0, count: size)
        check(seta_mpi_allgather_int(Int32(bytes.count), &counts), "MPI_Allgather")
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<max(size, 1) { displacements[r] = displacements[r - 1] + counts[r - 1] }
        let total = Int(counts.reduce(0, +))
        var all = [UInt8](repeating: 0, count: max(total, 1))
        bytes.withUnsafeBytes { mine in
            check(seta_mpi_allgatherv_bytes(mine.baseAddress, Int32(bytes.count), &all, counts, displacements),
                  "MPI_Allgatherv")
        }
        return (0..<size).map { r in Array(all[Int(displacements[r])..<Int(displacements[r] + counts[r])]) }
    }

    public func barrier() { check(seta_mpi_barrier(), "MPI_Barrier") }

    /// Stops every rank of the job (mpirun reports it); the files rank 0 wrote completely stay as they are.
    public func abort(code: Int32) -> Never {
        seta_mpi_abort(code)
        exit(code)
    }

    /// MPI_Finalize (once): every rank calls it at the end of a successful job.
    public func finalize() {
        guard !finalized else { return }
        finalized = true
        _ = seta_mpi_finalize()
    }

    /// MPI counts are 32-bit: larger buffers go in pieces.
    private func chunks(_ count: Int, _ body: (Int, Int32) -> Void) {
        var lo = 0
        repeat {
            let n = min(count - lo, Int(Int32.max))
            body(lo, Int32(n))
            lo += n
        } while lo < count
    }

    private func timed(_ body: () -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        allReduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        allReduceCalls += 1
    }

    /// MPI's default handler (MPI_ERRORS_ARE_FATAL) aborts the job on a failed call (e.g. a rank died); a code
    /// that still comes back is a bug.
    private func check(_ rc: Int32, _ call: String) {
        precondition(rc == 0, "\(call) failed on rank \(rank) with MPI error code \(rc)")
    }
}
