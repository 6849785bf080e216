# A checkpoint written by vae_train loads into the PyTorch twin (strict load_state_dict) and gives
# the same loss on a fixed batch with fixed noise.
#   cmake -DVAE_TRAIN=... -DCHECK=... -DTWIN=... -DPYTHON=... -DWORK_DIR=... -P twin_checkpoint.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
function(run_step)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "step failed (${code}): ${ARGV}")
  endif()
endfunction()
run_step("${VAE_TRAIN}" --threads 2 --epochs 1 --limit 512 --hidden 64 --latent 8 --quiet
         --out "${WORK_DIR}")
run_step("${PYTHON}" "${TWIN}" eval-checkpoint --checkpoint "${WORK_DIR}/checkpoint.safetensors"
         --out "${WORK_DIR}/twin_eval.safetensors")
run_step("${CHECK}" "${WORK_DIR}/checkpoint.safetensors" "${WORK_DIR}/twin_eval.safetensors")
