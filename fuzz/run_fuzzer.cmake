# Runs one fuzz target for SECONDS over a fresh copy of its corpus plus the seeds (ctest's fuzz/<target>).
# Fails on any crash, timeout (> 10 s per input) or memory over 2 GiB.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(dirs ${WORK})
foreach(d ${CORPUS} ${SEEDS} ${MALFORMED})
  if(EXISTS ${d})
    list(APPEND dirs ${d})
  endif()
endforeach()
execute_process(COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -max_len=65536
                        -artifact_prefix=${WORK}/ -print_final_stats=1 ${dirs}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (exit ${rc}); the reproducer is in ${WORK}")
endif()
