# Embeds the page's stylesheet and script (searchd/assets/) into the searchd
# binary as C arrays, declared in searchd/assets.h.  Included from the root
# CMakeLists.txt after the searchd target is defined.
set(KQ_SEARCHD_ASSET_FILES
    ${CMAKE_CURRENT_SOURCE_DIR}/searchd/assets/kiosque.css
    ${CMAKE_CURRENT_SOURCE_DIR}/searchd/assets/kiosque.js
    ${CMAKE_CURRENT_SOURCE_DIR}/searchd/assets/favicon.svg)
set(KQ_SEARCHD_ASSETS_C ${CMAKE_CURRENT_BINARY_DIR}/searchd_assets.c)
# A list cannot cross a custom command's argument intact: pass it joined by '|'.
string(REPLACE ";" "|" kq_asset_arg "${KQ_SEARCHD_ASSET_FILES}")
add_custom_command(
  OUTPUT ${KQ_SEARCHD_ASSETS_C}
  COMMAND ${CMAKE_COMMAND} -DOUT=${KQ_SEARCHD_ASSETS_C} -DFILES=${kq_asset_arg}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/searchd/embed_assets.cmake
  DEPENDS ${KQ_SEARCHD_ASSET_FILES} ${CMAKE_CURRENT_SOURCE_DIR}/searchd/embed_assets.cmake
  COMMENT "Embedding searchd's static assets"
  VERBATIM)
target_sources(searchd PRIVATE ${KQ_SEARCHD_ASSETS_C})
target_include_directories(searchd PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/searchd)
