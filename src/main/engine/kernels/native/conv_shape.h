/*
 * What the per-ISA convolution kernels share: the shape of one convolution, and the small
 * thread pool that runs them (one task per image; each worker has its own scratch).
 */
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

/* One NHWC convolution: x [n, h, w, ci], filter [kh, kw, ci, co], y [n, ho, wo, co]. */
struct ConvShape {
  int n, h, w, ci;
  int kh, kw, co;
  int sh, sw, dh, dw;
  int padTop, padLeft;
  int ho, wo;
};

/*
 * What a forward convolution may do to its output before storing it: y = y * scale + shift per
 * output channel, plus a residual of y's shape if given, then ReLU (an inference-mode batch
 * norm or a bias, a ResNet block's shortcut, and the ReLU after them), applied while the
 * output is still in registers or cache instead of in further passes.
 */
struct Epilogue {
  const float *scale = nullptr, *shift = nullptr; /* co values each */
  const float *residual = nullptr;                /* null, or n x ho x wo x co like y */
  bool relu = false;
};
/*
 * Rough single-core costs, for Pool::run's choice of running a call on the calling thread:
 * multiply-adds per nanosecond of the convolution loops (70-80 GMAC/s measured with AVX-512,
 * less with narrower vectors) and floats per nanosecond of the memory-bound row loops.
 */
constexpr double kMacsPerNs = 40, kFloatsPerNs = 2;

/*
 * Whether 3x3 stride-1 convolutions take the Winograd form (winograd_impl.h). On unless
 * ORTHOLENS_WINOGRAD=0; configure({ winograd }) switches it (tests and the bench compare the
 * two forms in one process). Shared by every instance: it picks a summation order, not a result.
 */
inline std::atomic<bool> &winogradSwitch() {
  static std::atomic<bool> on([] {
    const char *e = std::getenv("ORTHOLENS_WINOGRAD");
    return !(e && e[0] == '0' && e[1] == 0);
  }());
  return on;
}
inline bool winogradEnabled() { return winogradSwitch().load(std::memory_order_relaxed); }
/* Estimated nanoseconds of one convolution's multiply-adds on one core. */
inline double convNs(const ConvShape &s) {
  return (double)s.n * s.ho * s.wo * s.co * s.kh * s.kw * s.ci / kMacsPerNs;
}

/* Estimated nanoseconds of a memory-bound pass over `floats` values on one core. */
inline double floatsNs(double floats) { return floats / kFloatsPerNs; }

/* A worker's reusable buffers (they grow, never shrink, so steady state allocates nothing). */
struct Scratch {
  int id = 0;
  std::vector<float> slot[2];
  float *floats(int which, size_t count) {
    if (slot[which].size() < count) slot[which].resize(count);
    return slot[which].data();
  }
};

/*
 * Runs fn(item, scratch) for item in [0, count) on the calling thread and size()-1 workers,
 * handing out items one at a time (images are equal work, so this balances).
 *
 * A training step calls it hundreds of times, often for under a millisecond of work, so both
 * sides spin briefly before they sleep: a futex sleep and wake costs tens of microseconds on
 * a virtual machine, each way.
 *
 * The calling thread never waits for a worker to wake up, only for items a worker has
 * started: a worker joins a call only while it is open, and the caller closes it once every
 * item is taken. A worker that wakes late (its core busy with another process) finds the call
 * closed and goes back to waiting, instead of holding the caller for a time slice.
 */
class Pool {
 public:
  explicit Pool(int threads) { resize(threads); }
  ~Pool() { stop(); }

  int size() const { return (int)scratch_.size(); }

  void resize(int threads) {
    if (threads < 1) threads = 1;
    if (threads == size()) return;
    stop();
    backoff_ = 0;
    nextBackoff_ = 1;
    scratch_.clear();
    scratch_.resize(threads);
    for (int i = 0; i < threads; i++) scratch_[i].id = i;
    quit_ = false;
    for (int i = 1; i < threads; i++) workers_.emplace_back([this, i] { loop(i); });
  }

  /*
   * Below this much estimated work (ns on one core) a call runs on the calling thread alone:
   * handing items to a worker costs a wake-up and a wait, tens of microseconds on a virtual
   * machine and a whole time slice when the worker's core is busy with another process, which
   * made two threads slower than one on small models. Items are cut by the shape, never by who
   * runs them, so the result is the same either way.
   */
  static constexpr double kInlineNs = 50000;

  /* workNs: the call's estimated cost on one core (convNs, floatsNs); negative for unknown. */
  void run(int count, const std::function<void(int, Scratch &)> &fn, double workNs = -1) {
    const bool small = workNs >= 0 && workNs < kInlineNs;
    if (size() == 1 || count == 1 || small || backoff_ > 0) {
      if (size() > 1 && count > 1 && !small && backoff_ > 0) backoff_--;
      for (int i = 0; i < count; i++) fn(i, scratch_[0]);
      return;
    }
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    task_ = &fn;
    count_ = count;
    next_.store(0);
    /* A new generation, open, nobody joined; under the lock so a worker about to sleep sees it. */
    {
      std::lock_guard<std::mutex> lock(m_);
      state_.store(((state_.load() >> kGenShift) + 1) << kGenShift | kOpen);
    }
    wake_.notify_all();
    const int mine = drain(0);
    const auto t1 = Clock::now();
    /* Every item is taken: close the call, then wait for the workers still running one. */
    if (state_.fetch_and(~kOpen) & kJoined) {
      spinUntil([this] { return (state_.load() & kJoined) == 0; });
      std::unique_lock<std::mutex> lock(m_);
      done_.wait(lock, [this] { return (state_.load() & kJoined) == 0; });
    }
    task_ = nullptr;
    std::exception_ptr error;
    {
      std::lock_guard<std::mutex> lock(m_);
      std::swap(error, error_);
    }
    judge(mine, count, std::chrono::duration<double>(t1 - t0).count(),
          std::chrono::duration<double>(Clock::now() - t0).count());
    if (error) std::rethrow_exception(error);
  }

 private:
  /*
   * Whether the split paid, from the calling thread's own pace: its `mine` items took
   * `ownSeconds`, so all `count` alone would have taken about count / mine times that. When
   * the whole call took longer (the workers woke late, or their cores are busy with other
   * processes and an item they took waited out a time slice), the next calls run on the
   * calling thread alone: 1, 2, 4, … up to kMaxBackoff of them, doubling each time the split
   * fails again and starting over once it pays. So two threads are not slower than one on a
   * machine that other processes keep busy, and the same as before on a quiet one.
   */
  static constexpr int kMaxBackoff = 1024;
  void judge(int mine, int count, double ownSeconds, double totalSeconds) {
    const bool paid = mine == 0 || totalSeconds < 0.95 * ownSeconds * count / mine;
    if (paid) {
      nextBackoff_ = 1;
    } else {
      backoff_ = nextBackoff_;
      nextBackoff_ = std::min(2 * nextBackoff_, kMaxBackoff);
    }
  }

  /* Runs items until none are left; a failing item (a failed allocation) stops the hand-out
     and its exception is rethrown on the calling thread, never on a worker. */
  int drain(int id) {
    int done = 0;
    for (int i; (i = next_.fetch_add(1)) < count_; done++) {
      try {
        (*task_)(i, scratch_[id]);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m_);
        if (!error_) error_ = std::current_exception();
        next_.store(count_);
      }
    }
    return done;
  }

  /* Spins for up to kSpin while ready() is false; true when it became true. */
  template <typename Ready>
  static bool spinUntil(Ready ready) {
    constexpr auto kSpin = std::chrono::microseconds(50);
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (;;) {
      for (int i = 0; i < 64; i++) {
        if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
      if (std::chrono::steady_clock::now() > until) return ready();
    }
  }

  void loop(int id) {
    uint64_t seen = 0;
    const auto fresh = [&] { return quit_.load() || (state_.load() >> kGenShift) != seen; };
    for (;;) {
      if (!spinUntil(fresh)) {
        std::unique_lock<std::mutex> lock(m_);
        wake_.wait(lock, fresh);
      }
      if (quit_.load()) return;
      uint64_t s = state_.load();
      seen = s >> kGenShift;
      /* Join only a call that is still open (it cannot end while we are joined). */
      bool joined = false;
      while ((s >> kGenShift) == seen && (s & kOpen)) {
        if (state_.compare_exchange_weak(s, s + 1)) {
          joined = true;
          break;
        }
      }
      if (!joined) continue;
      drain(id);
      const uint64_t before = state_.fetch_sub(1);
      if (!(before & kOpen) && (before & kJoined) == 1) {
        /* Under the lock, so the caller cannot check the state and then sleep past this. */
        std::lock_guard<std::mutex> lock(m_);
        done_.notify_one();
      }
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(m_);
      quit_.store(true);
    }
    wake_.notify_all();
    for (auto &t : workers_) t.join();
    workers_.clear();
  }

  /* state_: the call's generation (high 32 bits), whether it is open, and how many joined. */
  static constexpr int kGenShift = 32;
  static constexpr uint64_t kOpen = uint64_t(1) << 31, kJoined = kOpen - 1;

  std::vector<Scratch> scratch_;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable wake_, done_;
  const std::function<void(int, Scratch &)> *task_ = nullptr;
  std::atomic<int> next_{0};
  std::exception_ptr error_;
  int count_ = 0;
  /* Calls still to run on the calling thread alone, and the length of the next such run. */
  int backoff_ = 0, nextBackoff_ = 1;
  std::atomic<uint64_t> state_{0};
  std::atomic<bool> quit_{false};
};
