# Installs the built project into a temporary prefix, then configures, builds and runs the
# out-of-tree consumer in tests/consumer against it, as a user's project would.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DCONFIG=... -P install_consumer.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run_step)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "step failed (${code}): ${ARGV}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

run_step(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}" --config "${CONFIG}")
foreach(required include/vaednn/dataset.hpp lib/cmake/vaednn/vaednnConfig.cmake
                 lib/cmake/vaednn/vaednnConfigVersion.cmake lib/pkgconfig/vaednn.pc)
  if(NOT EXISTS "${prefix}/${required}")
    message(FATAL_ERROR "install is missing ${required}")
  endif()
endforeach()

# A sanitizer build's static library needs the sanitizer runtime in whatever links it.
run_step(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${WORK_DIR}/build"
         "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_BUILD_TYPE=${CONFIG}"
         "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}")
run_step(${CMAKE_COMMAND} --build "${WORK_DIR}/build" --config "${CONFIG}")
run_step("${WORK_DIR}/build/consumer" "${WORK_DIR}")
