#include "scheduler/sync/completion.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "scheduler/footprint.hpp"

namespace fsrace::sched {

Completion::Completion(const Completion& other) : name_(other.name_), instance_(other.instance_), done_(other.done_) {
  if (!other.waiters_.empty())
    throw std::logic_error(fmt::format("fsrace: copying completion {} while fibers wait on it", name_));
}

Completion& Completion::operator=(const Completion& other) {
  if (!other.waiters_.empty() || !waiters_.empty())
    throw std::logic_error(fmt::format("fsrace: assigning completion {} while fibers wait on it", name_));
  name_ = other.name_;
  instance_ = other.instance_;
  done_ = other.done_;
  return *this;
}

void Completion::wait_for_completion() {
  const Label op = Ls("wait_for_completion({})", name_);
  point(op);
  touch_lock(name_, instance_, lock_id_);
  while (done_ == 0) {  // bounded by the step limit
    detail::primitive_only_step(name_, instance_, &lock_id_);  // blocking: the step ran no caller code (blocking.hpp)
    waiters_.block(op);
    touch_lock(name_, instance_, lock_id_);  // the step that resumes re-reads the count and takes one below
  }
  if (done_ != kAll) --done_;
}

void Completion::complete() {
  point(Ls("complete({})", name_));
  touch_lock(name_, instance_, lock_id_);
  if (done_ != kAll) ++done_;
  waiters_.wake_one();
}

void Completion::complete_all() {
  point(Ls("complete_all({})", name_));
  touch_lock(name_, instance_, lock_id_);
  done_ = kAll;
  waiters_.wake_all();
}

}  // namespace fsrace::sched
