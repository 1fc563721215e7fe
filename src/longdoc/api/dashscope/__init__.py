"""DashScope-native routes (``/api/v1``), as the ``dashscope`` SDK calls them."""
