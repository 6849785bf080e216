# Runs a command and checks its exit code and output, for CLI tests:
#   cmake -DCMD="prog;arg;..." -DEXPECT_CODE=2 -DEXPECT_OUTPUT=regex [-DREJECT_OUTPUT=regex]
#         [-DWORK_DIR=dir] -P expect_exit.cmake
# WORK_DIR, when given, is emptied and the command runs in it (what it writes stays there).
if(DEFINED WORK_DIR)
  file(REMOVE_RECURSE "${WORK_DIR}")
  file(MAKE_DIRECTORY "${WORK_DIR}")
else()
  set(WORK_DIR ".")
endif()
execute_process(
  COMMAND ${CMD}
  WORKING_DIRECTORY "${WORK_DIR}"
  RESULT_VARIABLE code
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
set(all "${out}${err}")
if(NOT code STREQUAL EXPECT_CODE)
  message(FATAL_ERROR "exit code ${code}, expected ${EXPECT_CODE}; output:\n${all}")
endif()
if(DEFINED EXPECT_OUTPUT AND NOT all MATCHES "${EXPECT_OUTPUT}")
  message(FATAL_ERROR "output does not match '${EXPECT_OUTPUT}':\n${all}")
endif()
if(DEFINED REJECT_OUTPUT AND all MATCHES "${REJECT_OUTPUT}")
  message(FATAL_ERROR "output matches '${REJECT_OUTPUT}', which it must not:\n${all}")
endif()
message(STATUS "exit ${code} as expected; output:\n${all}")
