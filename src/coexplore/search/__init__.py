"""coexplore.search"""
