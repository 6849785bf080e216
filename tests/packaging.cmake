# The installed package as another project uses it, one route per call (tests/CMakeLists.txt).
#   cmake -DSTEP=<step> -DWORK_DIR=<flavour's folder> [...] -P packaging.cmake
# Steps:
#   install    installs this build tree (BUILD_DIR) into WORK_DIR/prefix
#   build      configures the library alone from SOURCE_DIR into WORK_DIR/build with
#              BUILD_SHARED_LIBS=SHARED (the flavour this build tree is not), builds it and
#              installs it into WORK_DIR/prefix. The build folder is kept, so a rerun only
#              rebuilds what changed.
#   cmake      builds tests/consumer against WORK_DIR/prefix with find_package and runs it
#   pkgconfig  copies WORK_DIR/prefix elsewhere (the install must not care where it lies),
#              compiles and links tests/consumer's sources with the flags pkg-config gives
#              (--static for a static install) and runs them
# Common arguments: SOURCE_DIR, CONFIG (build type), CXX (the compiler), GENERATOR, SHARED
# (ON/OFF: the flavour), LIBDIR (CMAKE_INSTALL_LIBDIR), CONSUMER_FLAGS (sanitizer flags).
cmake_minimum_required(VERSION 3.25)

set(prefix "${WORK_DIR}/prefix")
cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
if(SHARED)
  set(expected_type SHARED_LIBRARY)
else()
  set(expected_type STATIC_LIBRARY)
endif()

# run(<output variable> <command>...): runs a command, fails the test with its output if it fails.
function(run out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REPLACE ";" " " command "${ARGN}")
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "failed (${code}): ${command}\n${out}\n${err}")
  endif()
  message(STATUS "ran: ${command}")
  set(${out_var} "${out}${err}" PARENT_SCOPE)
endfunction()

function(expect text regex what)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "expected ${what} (/${regex}/) in:\n${text}")
  endif()
endfunction()

function(expect_literal text literal what)
  string(FIND "${text}" "${literal}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected ${what} (\"${literal}\") in:\n${text}")
  endif()
endfunction()

function(check_install)
  foreach(file include/vaednn/vaednn.hpp include/vaednn/export.hpp include/vaednn/version.hpp
               ${LIBDIR}/cmake/vaednn/vaednnConfig.cmake ${LIBDIR}/cmake/vaednn/vaednnConfigVersion.cmake
               ${LIBDIR}/pkgconfig/vaednn.pc ${LIBDIR}/pkgconfig/vaednn-formats.pc
               ${LIBDIR}/pkgconfig/vaednn-figures.pc)
    if(NOT EXISTS "${prefix}/${file}")
      message(FATAL_ERROR "the install is missing ${file}")
    endif()
  endforeach()
  foreach(library vaednn vaednn_formats vaednn_figures)
    if(SHARED)
      set(file "${prefix}/${LIBDIR}/lib${library}.so.0")
    else()
      set(file "${prefix}/${LIBDIR}/lib${library}.a")
    endif()
    if(NOT EXISTS "${file}")
      message(FATAL_ERROR "the install is missing ${file}")
    endif()
  endforeach()
  # A shared library exports the public API, not the internals (vaednn::detail, the classes'
  # Impl, the layers and the graph).
  find_program(nm nm)
  if(SHARED AND nm)
    foreach(library vaednn vaednn_formats vaednn_figures)
      run(symbols "${nm}" -D -C --defined-only "${prefix}/${LIBDIR}/lib${library}.so.0")
      # (A public name that merely begins like one, vaednn::LstmKernel, is not an internal.)
      string(REGEX MATCHALL "[^\n]*vaednn::(detail::|[A-Za-z]+::Impl::|(Graph|Lstm|Dense|Deconv|Adam)(::|\\())[^\n]*"
             internals "${symbols}")
      if(internals)
        string(REPLACE ";" "\n" internals "${internals}")
        message(FATAL_ERROR "lib${library}.so exports internals:\n${internals}")
      endif()
    endforeach()
  endif()
  # Relocatable: no installed package file may name the folder it was installed into.
  file(GLOB package_files "${prefix}/${LIBDIR}/pkgconfig/*.pc" "${prefix}/${LIBDIR}/cmake/vaednn/*.cmake")
  foreach(file IN LISTS package_files)
    file(READ "${file}" text)
    string(FIND "${text}" "${prefix}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${file} names the install prefix ${prefix}: it cannot be moved")
    endif()
  endforeach()
endfunction()

# Runs a consumer built one way or the other: the programs exit 0 and say "ok".
function(run_consumers directory)
  foreach(program consumer consumer_umbrella)
    set(run_dir "${WORK_DIR}/run-${STEP}-${program}")
    file(REMOVE_RECURSE "${run_dir}")
    file(MAKE_DIRECTORY "${run_dir}")
    if(library_path)
      run(out ${CMAKE_COMMAND} -E env "LD_LIBRARY_PATH=${library_path}" "${directory}/${program}" "${run_dir}")
    else()
      run(out "${directory}/${program}" "${run_dir}")
    endif()
    message(STATUS "${program}: ${out}")
  endforeach()
endfunction()

# The consumers link libvaednn.so.0 when the install is shared, and do not need it at run time
# when it is static.
function(check_linkage program)
  find_program(readelf readelf)
  if(NOT readelf)
    return()
  endif()
  run(dynamic "${readelf}" -d "${program}")
  if(SHARED)
    expect("${dynamic}" "NEEDED[^\n]*libvaednn\\.so\\.0" "libvaednn.so.0 among the shared libraries needed")
  elseif(dynamic MATCHES "libvaednn")
    message(FATAL_ERROR "${program} needs a shared libvaednn although the install is static:\n${dynamic}")
  endif()
endfunction()

if(STEP STREQUAL "install")
  file(REMOVE_RECURSE "${prefix}")
  run(out ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}" --config "${CONFIG}")
  check_install()

elseif(STEP STREQUAL "build")
  set(build "${WORK_DIR}/build")
  # The library alone, as this build tree's compiler and build type make it.
  run(out ${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${build}" -G "${GENERATOR}"
      "-DCMAKE_BUILD_TYPE=${CONFIG}" "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}"
      "-DCMAKE_INSTALL_LIBDIR=${LIBDIR}" "-DBUILD_SHARED_LIBS=${SHARED}"
      "-DVAEDNN_WARNINGS_AS_ERRORS=${WARNINGS_AS_ERRORS}" -DVAEDNN_BUILD_APPS=OFF
      -DVAEDNN_BUILD_TESTS=OFF -DVAEDNN_BUILD_BENCH=OFF -DVAEDNN_FUZZ=OFF -DVAEDNN_INSTALL=ON)
  run(out ${CMAKE_COMMAND} --build "${build}" --config "${CONFIG}" --parallel ${jobs})
  file(REMOVE_RECURSE "${prefix}")
  run(out ${CMAKE_COMMAND} --install "${build}" --prefix "${prefix}" --config "${CONFIG}")
  check_install()

elseif(STEP STREQUAL "cmake")
  set(build "${WORK_DIR}/cmake-consumer")
  file(REMOVE_RECURSE "${build}")
  run(configured ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${build}" -G "${GENERATOR}"
      "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_BUILD_TYPE=${CONFIG}" "-DCMAKE_CXX_COMPILER=${CXX}"
      "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}")
  # The package found this install, of the right flavour, and looked up only what that flavour
  # needs: a shared install no dependency at all, a static one its libraries' private
  # dependencies, and cairo only once the "figures" component is asked for.
  expect_literal("${configured}" "vaednn consumer: vaednn::vaednn ${expected_type} from ${prefix}/"
                 "the installed ${expected_type}")
  if(SHARED)
    expect("${configured}" "vaednn consumer: dependency targets before figures: none\n"
           "no dependency looked up")
  else()
    expect("${configured}" "dependency targets before figures: [^\n]*DNNL::dnnl[^\n]*TBB::tbb"
           "oneDNN and oneTBB looked up")
    expect("${configured}" "dependency targets before figures: [^\n]*fmt::fmt[^\n]*ZLIB::ZLIB"
           "fmt and zlib looked up")
    expect("${configured}" "dependency targets before figures: [^\n]*OpenMP::OpenMP_CXX"
           "OpenMP looked up")
    if(configured MATCHES "dependency targets before figures: [^\n]*PkgConfig::CAIRO")
      message(FATAL_ERROR "cairo was looked up without the figures component:\n${configured}")
    endif()
  endif()
  run(out ${CMAKE_COMMAND} --build "${build}" --config "${CONFIG}" --parallel ${jobs})
  check_linkage("${build}/consumer")
  set(library_path "")
  run_consumers("${build}")

elseif(STEP STREQUAL "pkgconfig")
  find_program(pkg_config NAMES pkg-config pkgconf REQUIRED)
  set(moved "${WORK_DIR}/moved-prefix")
  set(build "${WORK_DIR}/pkgconfig-consumer")
  file(REMOVE_RECURSE "${moved}" "${build}")
  file(MAKE_DIRECTORY "${moved}" "${build}")
  file(COPY "${prefix}/" DESTINATION "${moved}")
  if(SHARED)
    set(static_flag "")
  else()
    set(static_flag --static)
  endif()
  set(ENV{PKG_CONFIG_PATH} "${moved}/${LIBDIR}/pkgconfig")
  separate_arguments(consumer_flags UNIX_COMMAND "${CONSUMER_FLAGS}")
  foreach(program_and_module consumer:vaednn consumer_umbrella:vaednn-figures)
    string(REPLACE ":" ";" program_and_module "${program_and_module}")
    list(GET program_and_module 0 program)
    list(GET program_and_module 1 module)
    run(flags "${pkg_config}" ${static_flag} --cflags --libs ${module})
    string(STRIP "${flags}" flags)
    message(STATUS "pkg-config ${static_flag} --cflags --libs ${module}: ${flags}")
    expect_literal("${flags}" "-L${moved}/" "the moved install's libdir")
    if(NOT SHARED)
      expect("${flags}" "-ldnnl" "oneDNN among the static libraries' dependencies")
    endif()
    separate_arguments(flags UNIX_COMMAND "${flags}")
    if(program STREQUAL "consumer")
      set(source "${SOURCE_DIR}/tests/consumer/main.cpp")
    else()
      set(source "${SOURCE_DIR}/tests/consumer/umbrella.cpp")
    endif()
    run(out "${CXX}" -std=c++20 ${consumer_flags} "${source}" -o "${build}/${program}" ${flags})
  endforeach()
  check_linkage("${build}/consumer")
  set(library_path "${moved}/${LIBDIR}")
  run_consumers("${build}")

else()
  message(FATAL_ERROR "unknown STEP '${STEP}'")
endif()
message(STATUS "PASS: packaging ${STEP} (${expected_type})")
